"""The second factor of a login: TOTP codes (RFC 6238) from an authenticator app, passkeys (WebAuthn),
and one-time recovery codes; the login challenge between the password and the token; the policy of
which roles must have a factor (`ECABINET_MFA_REQUIRED_ROLES`).

Apart from `service.py` (accounts and tokens) because it is a whole of its own that only meets it at
the login; it is the auth domain's service all the same: no request, no commit.
"""

from __future__ import annotations

import hashlib
import io
import json
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NoReturn

import pyotp
import segno
import webauthn
from flask import current_app, g
from sqlalchemy import delete, func, or_, select, update
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from ecabinet.audit import service as audit
from ecabinet.auth.models import LoginChallenge, RecoveryCode, SecondFactor, User
from ecabinet.auth.service import require_admin
from ecabinet.common.time import iso, utcnow
from ecabinet.errors import Conflict, Invalid, NotFound, Unauthorized
from ecabinet.extensions import db

# How long the step after the password may take: typing a code, or installing an app and scanning.
CHALLENGE_MINUTES = {"login": 5, "enrol": 15}
# Where a page login keeps its challenge between the password and the code, in the signed login cookie.
PAGE_CHALLENGE_KEY = "mfa_challenge"
# An enrolment started and not confirmed within this time is dropped; its secret was never proven.
PENDING_MINUTES = 30
ISSUER = "ecabinet"
RECOVERY_CODES = 10
# Recovery codes are read off paper and typed: no 0/O, 1/I/L.
_RECOVERY_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
_RECOVERY_LENGTH = 10  # about 49 bits: guessing one is hopeless under the login limit


class WrongCode(Unauthorized):
    """A wrong second-factor code (or passkey): recorded in the audit log before it is answered."""

    code, message = "bad_code", "Wrong code"


class BadChallenge(Unauthorized):
    code, message = "bad_challenge", "The login step has expired or was used; log in again"


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


# --- policy ---------------------------------------------------------------------------------------


def required_roles() -> set[str]:
    return {r.strip() for r in current_app.config["ECABINET_MFA_REQUIRED_ROLES"].split(",") if r.strip()}


def is_required(user: User) -> bool:
    return user.has_role(*required_roles())


def password_alone(user: User) -> None:
    """An API login without a second factor. It keeps the one-step answer the tablets know (the contract's
    login) even in a role that needs a factor: the pages lead such an account to enrol at its next page
    login, and the audit log names each such login so that an administrator can see who still must."""
    if is_required(user):
        audit.record(user, "auth.login_without_required_factor", user, {"via": "api"})


def factors(user: User) -> list[SecondFactor]:
    """The user's confirmed second factors, oldest first."""
    return list(
        db.session.scalars(
            select(SecondFactor)
            .where(SecondFactor.user_id == user.id, SecondFactor.confirmed_at.is_not(None))
            .order_by(SecondFactor.id)
        )
    )


def has_factor(user: User) -> bool:
    return bool(
        db.session.scalar(
            select(func.count()).where(
                SecondFactor.user_id == user.id, SecondFactor.confirmed_at.is_not(None)
            )
        )
    )


def recovery_codes_left(user: User) -> int:
    return db.session.scalar(
        select(func.count()).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )


# --- login challenges -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Challenge:
    raw: str
    expires_at: datetime


def start_challenge(user: User, purpose: str, device_name: str | None = None) -> Challenge:
    """The second step of `user`'s login, whose password was right: to give a code (`login`), or to
    enrol a first factor (`enrol`) when the user's role needs one."""
    raw, now = secrets.token_urlsafe(32), utcnow()
    expires_at = now + timedelta(minutes=CHALLENGE_MINUTES[purpose])
    # The user's earlier challenges that ran out are of no use to anyone: they go as the next one comes.
    db.session.execute(
        delete(LoginChallenge).where(LoginChallenge.user_id == user.id, LoginChallenge.expires_at < now)
    )
    db.session.add(
        LoginChallenge(
            user_id=user.id,
            token_hash=_digest(raw),
            purpose=purpose,
            created_at=now,
            expires_at=expires_at,
            device_name=device_name,
        )
    )
    return Challenge(raw, expires_at)


def live_challenge(raw: str | None, purpose: str = "login") -> LoginChallenge:
    """The unused, unexpired challenge `raw` for `purpose`."""
    challenge = db.session.scalar(
        select(LoginChallenge).where(LoginChallenge.token_hash == _digest(raw or ""))
    )
    if (
        challenge is None
        or challenge.purpose != purpose
        or challenge.used_at is not None
        or challenge.expires_at <= utcnow()
    ):
        raise BadChallenge()
    return challenge


def challenge_owner(raw: str | None) -> int | None:
    """Whose login the challenge `raw` is, used or not: the login limit counts failed codes per user."""
    return db.session.scalar(
        select(LoginChallenge.user_id).where(LoginChallenge.token_hash == _digest(raw or ""))
    )


def _use(challenge: LoginChallenge) -> None:
    """Mark the challenge used; of two requests racing with it, the second is refused."""
    used = db.session.execute(
        update(LoginChallenge)
        .where(LoginChallenge.id == challenge.id, LoginChallenge.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if used.rowcount != 1:
        raise BadChallenge()


def pass_challenge(raw: str | None, code: str) -> tuple[User, LoginChallenge]:
    """The account whose login challenge `raw` is answered by `code` (a TOTP code or an unused
    recovery code); the challenge is then used up. A wrong code is audited and refused (WrongCode) —
    the caller commits the audit entry before answering."""
    challenge = live_challenge(raw)
    user = db.session.get(User, challenge.user_id)
    if not user.active:
        raise BadChallenge()
    how = check_code(user, code)
    _use(challenge)
    audit.record(user, "auth.mfa", user, {"method": how})
    return user, challenge


def use_challenge(challenge: LoginChallenge, method: str) -> User:
    """Use up a challenge answered by other means than a code (a passkey, a first enrolment)."""
    _use(challenge)
    user = db.session.get(User, challenge.user_id)
    audit.record(user, "auth.mfa", user, {"method": method})
    return user


@contextmanager
def failures_recorded() -> Iterator[None]:
    """For the routes, which own the transaction: a wrong code is refused, and the refusal rolls the
    request back, but its audit entry (`auth.mfa_failed`) must stay. Committed, then refused."""
    try:
        yield
    except WrongCode:
        db.session.commit()
        g.code_failed = True  # counted by the limit of failed codes, whatever the answer (`limits`)
        raise


# --- codes ----------------------------------------------------------------------------------------


def _normalised(code: str) -> str:
    return "".join(code.split()).replace("-", "").upper()


def check_code(user: User, code: str) -> str:
    """Which kind of code `code` is for `user`: `totp` or `recovery_code` (then used up). A wrong one
    is audited and raises WrongCode."""
    code = _normalised(code or "")
    if code.isdigit() and len(code) == 6:
        for factor in factors(user):
            if factor.kind == "totp" and _totp_accepts(factor, code):
                return "totp"
    elif len(code) == _RECOVERY_LENGTH and _use_recovery_code(user, code):
        return "recovery_code"
    fail(user)


def fail(user: User, method: str = "code") -> NoReturn:
    audit.record(user, "auth.mfa_failed", user, {"method": method})
    raise WrongCode()


def _totp_accepts(factor: SecondFactor, code: str) -> bool:
    """One step either side of now (a clock a little off), each step's code good once: the step is
    taken by a conditional update, so that of two requests racing with the same code one wins."""
    totp = pyotp.TOTP(factor.totp_secret)
    now_step = int(utcnow().timestamp()) // totp.interval
    for step in (now_step, now_step - 1, now_step + 1):
        if not secrets.compare_digest(totp.generate_otp(step), code):
            continue
        taken = db.session.execute(
            update(SecondFactor)
            .where(
                SecondFactor.id == factor.id,
                or_(SecondFactor.last_step.is_(None), SecondFactor.last_step < step),
            )
            .values(last_step=step, last_used_at=utcnow())
        )
        return taken.rowcount == 1
    return False


def _use_recovery_code(user: User, code: str) -> bool:
    used = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _digest(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if used.rowcount == 1:
        audit.record(user, "auth.recovery_code_used", user, {"left": recovery_codes_left(user)})
        return True
    return False


def new_recovery_codes(user: User) -> list[str]:
    """A fresh set of recovery codes, shown once; the old ones stop working."""
    if not has_factor(user):
        raise Conflict("Add a second factor first: recovery codes stand in for one", code="no_factor")
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [
        "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        for _ in range(RECOVERY_CODES)
    ]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_digest(c)) for c in codes)
    audit.record(user, "auth.recovery_codes", user, {"count": len(codes)})
    # Shown in two groups of five, as written down: the dash is ignored when typed.
    return [f"{c[:5]}-{c[5:]}" for c in codes]


# --- enrolment ------------------------------------------------------------------------------------


def pending_totp(user: User) -> SecondFactor:
    """The user's TOTP enrolment under way (the QR code shown, no code given yet), or a new one. The
    same secret is shown again on a reload, so that a phone that scanned it is not left behind."""
    since = utcnow() - timedelta(minutes=PENDING_MINUTES)
    db.session.execute(
        delete(SecondFactor).where(
            SecondFactor.user_id == user.id,
            SecondFactor.confirmed_at.is_(None),
            SecondFactor.created_at < since,
        )
    )
    factor = db.session.scalar(
        select(SecondFactor)
        .where(
            SecondFactor.user_id == user.id, SecondFactor.kind == "totp", SecondFactor.confirmed_at.is_(None)
        )
        .order_by(SecondFactor.id.desc())
        .limit(1)
    )
    if factor is None:
        factor = SecondFactor(user_id=user.id, kind="totp", name="", totp_secret=pyotp.random_base32())
        db.session.add(factor)
        db.session.flush()
    return factor


def enrol_known_totp(user: User, secret: str, name: str) -> SecondFactor:
    """Enrol a TOTP secret chosen beforehand, confirmed without a code: for the demo cabinet, whose
    printed secrets let a newcomer log in (`ecabinet.demo`). Never for a real account."""
    factor = SecondFactor(user_id=user.id, kind="totp", name=name, totp_secret=secret, confirmed_at=utcnow())
    db.session.add(factor)
    db.session.flush()
    audit.record(None, "auth.mfa_enrol", user, {"kind": "totp", "factor_id": factor.id, "demo": True})
    return factor


def pending_factor(user: User, factor_id: int) -> SecondFactor:
    factor = db.session.get(SecondFactor, factor_id)
    if factor is None or factor.user_id != user.id or factor.confirmed_at is not None:
        raise NotFound("No enrolment under way with this id")
    return factor


def provisioning_uri(user: User, factor: SecondFactor) -> str:
    return pyotp.TOTP(factor.totp_secret).provisioning_uri(name=user.username, issuer_name=ISSUER)


def qr_svg(user: User, factor: SecondFactor) -> bytes:
    """The enrolment's otpauth:// address as a QR code, for the authenticator app's camera."""
    out = io.BytesIO()
    segno.make(provisioning_uri(user, factor), error="m").save(
        out, kind="svg", scale=6, border=2, title="QR", xmldecl=False
    )
    return out.getvalue()


def confirm_totp(user: User, factor_id: int, code: str, name: str | None = None) -> list[str]:
    """Confirm an enrolment with a code from the app. The account's first factor comes with recovery
    codes, returned to be shown once; a further factor returns none (the codes the user has stand)."""
    factor = pending_factor(user, factor_id)
    first = not has_factor(user)
    if not _totp_accepts(factor, _normalised(code or "")):
        fail(user, "totp_enrolment")
    factor.confirmed_at = utcnow()
    factor.name = (name or "").strip()[:100] or "Authenticator"
    audit.record(user, "auth.mfa_enrol", user, {"kind": "totp", "factor_id": factor.id})
    return new_recovery_codes(user) if first else []


def remove_factor(user: User, factor_id: int, code: str) -> None:
    """Remove one of the user's own factors, confirmed with a code (from any factor, or a recovery
    code): a borrowed session alone cannot take the account's second factor away. The last factor of
    an account whose role needs one stays."""
    factor = db.session.get(SecondFactor, factor_id)
    if factor is None or factor.user_id != user.id or factor.confirmed_at is None:
        raise NotFound("No second factor with this id")
    mine = factors(user)
    if len(mine) == 1 and is_required(user):
        raise Conflict(
            "Your role needs a second factor: add another before removing this one", code="mfa_required"
        )
    check_code(user, code)
    _remove(user, [factor], user)


def reset(actor: User | None, user: User) -> None:
    """The administrator removes every factor and recovery code of `user` (a lost phone and lost codes);
    the user enrols again at the next login when the role needs it. `actor` is None only for the
    command line, which runs with the server's own authority."""
    if actor is not None:
        require_admin(actor)
    _remove(user, factors(user), actor)


def _remove(user: User, removed: list[SecondFactor], actor: User | None) -> None:
    for factor in removed:
        audit.record(actor, "auth.mfa_remove", user, {"kind": factor.kind, "factor_id": factor.id})
        db.session.delete(factor)
    db.session.flush()
    if not has_factor(user):  # recovery codes stand in for a factor; with none left they mean nothing
        db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def serialize_factor(factor: SecondFactor) -> dict:
    return {
        "id": factor.id,
        "kind": factor.kind,
        "name": factor.name,
        "created_at": iso(factor.created_at),
        "last_used_at": iso(factor.last_used_at),
    }


# --- passkeys (WebAuthn) --------------------------------------------------------------------------
# The browser's ceremonies are checked by the `webauthn` package; `rp_id` (the site's domain) and
# `origin` (what the browser shows in its address bar) come from the request, or ECABINET_WEBAUTHN_RP_ID.


def passkey_registration(user: User, rp_id: str) -> tuple[str, str]:
    """Options for the browser's `navigator.credentials.create`, as JSON, and their challenge, to be
    kept by the caller until the browser answers."""
    options = webauthn.generate_registration_options(
        rp_id=rp_id,
        rp_name="ecabinet",
        user_id=str(user.id).encode(),
        user_name=user.username,
        user_display_name=user.full_name,
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(f.credential_id))
            for f in factors(user)
            if f.kind == "webauthn"
        ],
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
    )
    return webauthn.options_to_json(options), bytes_to_base64url(options.challenge)


def register_passkey(
    user: User, credential: str, challenge: str | None, rp_id: str, origin: str, name: str | None = None
) -> list[str]:
    """Keep the passkey the browser made for `passkey_registration`'s challenge; the account's first
    factor comes with recovery codes, returned to be shown once."""
    if not challenge:
        raise Invalid("No passkey registration is under way", code="no_ceremony")
    try:
        verified = webauthn.verify_registration_response(
            credential=credential,
            expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=rp_id,
            expected_origin=origin,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError):
        raise Invalid("The passkey could not be checked", code="bad_passkey") from None
    first = not has_factor(user)
    now = utcnow()
    factor = SecondFactor(
        user_id=user.id,
        kind="webauthn",
        name=(name or "").strip()[:100] or "Passkey",
        credential_id=bytes_to_base64url(verified.credential_id),
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        created_at=now,
        confirmed_at=now,
    )
    db.session.add(factor)
    db.session.flush()
    audit.record(user, "auth.mfa_enrol", user, {"kind": "webauthn", "factor_id": factor.id})
    return new_recovery_codes(user) if first else []


def passkey_login(challenge: LoginChallenge, rp_id: str) -> str:
    """Options for the browser's `navigator.credentials.get`, as JSON, for the login `challenge` of
    an account with passkeys; the ceremony's own challenge is kept on it."""
    allowed = [
        PublicKeyCredentialDescriptor(id=base64url_to_bytes(f.credential_id))
        for f in factors(db.session.get(User, challenge.user_id))
        if f.kind == "webauthn"
    ]
    if not allowed:
        raise NotFound("This account has no passkey")
    options = webauthn.generate_authentication_options(
        rp_id=rp_id, allow_credentials=allowed, user_verification=UserVerificationRequirement.PREFERRED
    )
    challenge.webauthn_challenge = bytes_to_base64url(options.challenge)
    return webauthn.options_to_json(options)


def pass_with_passkey(raw: str | None, credential: str, rp_id: str, origin: str) -> User:
    """The account whose login challenge `raw` the passkey `credential` answers; the challenge is used
    up. A passkey that does not answer it is audited and refused (WrongCode)."""
    challenge = live_challenge(raw)
    user = db.session.get(User, challenge.user_id)
    if not user.active or not challenge.webauthn_challenge:
        raise BadChallenge()
    try:
        credential_id = json.loads(credential)["id"]
        factor = db.session.scalar(
            select(SecondFactor).where(
                SecondFactor.user_id == user.id,
                SecondFactor.kind == "webauthn",
                SecondFactor.credential_id == credential_id,
            )
        )
        if factor is None:
            raise ValueError("not this account's passkey")
        verified = webauthn.verify_authentication_response(
            credential=credential,
            expected_challenge=base64url_to_bytes(challenge.webauthn_challenge),
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=factor.public_key,
            credential_current_sign_count=factor.sign_count,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError):
        fail(user, "webauthn")
    factor.sign_count = verified.new_sign_count
    factor.last_used_at = utcnow()
    return use_challenge(challenge, "webauthn")
