"""Accounts, organisations, passwords and bearer tokens."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, bindparam, func, select, update
from sqlalchemy.orm import joinedload, lazyload
from werkzeug.security import check_password_hash, generate_password_hash

from ecabinet.audit import service as audit
from ecabinet.auth import presence
from ecabinet.auth.models import ROLES, ApiToken, Organization, User, UserRole
from ecabinet.common import serving
from ecabinet.common.hooks import Hook
from ecabinet.common.time import utcnow
from ecabinet.errors import BadToken, Conflict, DeviceWiped, Forbidden, Invalid, NotFound, Unauthorized
from ecabinet.extensions import db

USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,79}$")
MIN_PASSWORD = 8
# Where a page login keeps its browser session's token, in the signed login cookie.

# `(user_id)` once an account's access changed — its roles, a login ended, deactivated — for the live
# sockets to check what that user may still follow (declared in create_app: the live publisher).
on_access_changed: Hook[[int]] = Hook("auth.on_access_changed")
# Checked against when the username is unknown, so a miss costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")


def hash_password(password: str) -> str:
    return serving.off_loop(generate_password_hash, password, current_app.config["PASSWORD_HASH_METHOD"])


def _password_matches(stored_hash: str, password: str) -> bool:
    return serving.off_loop(check_password_hash, stored_hash, password)


def _new_nonce() -> str:
    return secrets.token_hex(16)


def _token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def authenticate(username: str, password: str) -> User:
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        _password_matches(_DUMMY_HASH, password)
        raise Unauthorized("Wrong username or password", code="bad_credentials")
    if not _password_matches(user.password_hash, password) or not user.active:
        raise Unauthorized("Wrong username or password", code="bad_credentials")
    return user


def issue_token(
    user: User,
    days: int,
    user_agent: str | None = None,
    via: str = "token",
    *,
    address: str | None = None,
    device_name: str | None = None,
) -> str:
    """A new bearer token for `user`: for a tablet (`via` token), or for a page login's browser session.
    The login is a device (`ecabinet.devices`), named `device_name` or after its user agent."""
    raw = secrets.token_urlsafe(32)
    digest, now = _token_digest(raw), utcnow()
    db.session.add(
        ApiToken(
            user_id=user.id,
            token_hash=digest,
            created_at=now,
            expires_at=now + timedelta(days=days),
            via=via,
            user_agent=(user_agent or "")[:200] or None,
            name=device_name or presence.device_name(user_agent),
            address=(address or "")[:45] or None,
            last_seen_at=now,
        )
    )
    presence.noted_at_login(digest)
    audit.record(user, "auth.login", user, {"via": via})
    return raw


# Every API call asks: the active account and its roles behind a live token, in one query built once
# (building it is a third of its cost). The organisation loads only where it is shown.
def _behind_live_tokens(tokens_match):
    return (
        select(User)
        .join(ApiToken, ApiToken.user_id == User.id)
        .options(joinedload(User.role_rows), lazyload(User.organization))
        .where(
            tokens_match,
            ApiToken.revoked_at.is_(None),
            ApiToken.expires_at > bindparam("now"),
            User.active.is_(True),
        )
    )


_TOKEN_LOOKUP = _behind_live_tokens(
    and_(ApiToken.token_hash == bindparam("digest"), ApiToken.via == bindparam("via"))
)
_TOKENS_LOOKUP = _behind_live_tokens(
    ApiToken.token_hash.in_(bindparam("digests", expanding=True))
).add_columns(ApiToken.token_hash)


def user_for_token(raw: str, via: str = "token") -> User | None:
    """The user of a live login: a bearer token (`via` token) or a page session's (`via` page)."""
    lookup = {"digest": _token_digest(raw), "via": via, "now": utcnow()}
    return db.session.execute(_TOKEN_LOOKUP, lookup).unique().scalar_one_or_none()


def refusal(raw: str | None, bearer: bool) -> Unauthorized:
    """Why a call with this token (a bearer token, or a page session's) was refused: asked only once
    it was, so that the calls that pass pay nothing for it. A wiped device is told so."""
    wiped = raw and db.session.scalar(
        select(func.count()).where(ApiToken.token_hash == _token_digest(raw), ApiToken.wiped_at.is_not(None))
    )
    if wiped:
        return DeviceWiped()
    return BadToken() if bearer else Unauthorized()


@dataclass(frozen=True)
class BearerToken:
    """A bearer token, not yet looked up: for looking up many at once (`users_for_tokens`, the live
    sockets' periodic check) and for naming its device (`digest`)."""

    raw: str

    @property
    def digest(self) -> str:
        return _token_digest(self.raw)


def users_for_tokens(tokens: Iterable[BearerToken]) -> dict[BearerToken, User]:
    """The account behind each live token; a token that is not live (unknown, revoked, expired, its
    account deactivated) is not in the answer."""
    by_digest = {t.digest: t for t in tokens}
    if not by_digest:
        return {}
    rows = db.session.execute(_TOKENS_LOOKUP, {"digests": list(by_digest), "now": utcnow()}).unique()
    return {by_digest[digest]: user for user, digest in rows}


def revoke_token(user: User, raw: str) -> None:
    if _revoke(user, raw):
        audit.record(user, "auth.logout", user, {"via": "token"})
        on_access_changed.run(user.id)  # its sockets close


def _revoke(user: User, raw: str) -> bool:
    """Whether `user`'s live token `raw` was revoked now."""
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_digest(raw)))
    if token is None or token.user_id != user.id or token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    return True


def user_for_session(session_id: str, session_token: str | None) -> User | None:
    """The login cookie holds `<id>:<nonce>` and the browser session's own token: logging out revokes
    the token (a copy of the cookie is then worth nothing), and a rotated nonce (deactivation, a new
    password) ends every browser session of the account at once."""
    user = user_for_token(session_token, via="page") if session_token else None
    if user is None or not hmac.compare_digest(user.get_id(), session_id):
        return None
    return user


def start_page_session(user: User, user_agent: str | None, address: str | None = None) -> str:
    """A login through the page: the browser session's token, to be kept in its login cookie."""
    return issue_token(
        user, current_app.config["ECABINET_TOKEN_DAYS"], user_agent, via="page", address=address
    )


def end_page_session(user: User, session_token: str | None) -> None:
    _revoke(user, session_token or "")
    audit.record(user, "auth.logout", user, {"via": "page"})
    on_access_changed.run(user.id)


# --- administration -------------------------------------------------------------------------


def require_admin(actor: User) -> None:
    if not actor.has_role("admin"):
        raise Forbidden("Only an administrator may manage accounts")


def _check_roles(roles: Iterable[str]) -> list[str]:
    roles = list(dict.fromkeys(roles))
    if not roles:
        raise Invalid("A user needs at least one role", fields=["roles"])
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise Invalid(
            f"Unknown role(s): {', '.join(unknown)}; known: {', '.join(ROLES)}",
            code="unknown_role",
            fields=["roles"],
        )
    return roles


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise Invalid(f"A password needs at least {MIN_PASSWORD} characters", fields=["password"])


def _resolve_organization(value: int | str | None) -> Organization | None:
    if value is None or value == "":
        return None
    if isinstance(value, int):
        org = db.session.get(Organization, value)
        if org is None:
            raise Invalid(f"Organisation {value} does not exist", fields=["organization"])
        return org
    org = db.session.scalar(select(Organization).where(Organization.name == value.strip()))
    if org is None:
        org = Organization(name=value.strip())
        db.session.add(org)
    return org


def create_user(
    actor: User | None,
    *,
    username: str,
    full_name: str,
    password: str,
    roles: Iterable[str],
    title: str | None = None,
    email: str | None = None,
    organization: int | str | None = None,
) -> User:
    """`actor` is None only for the command line, which runs with the server's own authority."""
    if actor is not None:
        require_admin(actor)
    if not USERNAME_RE.match(username):
        raise Invalid("A username is 2–80 letters, digits, dots, dashes or underscores", fields=["username"])
    if not full_name.strip():
        raise Invalid("A full name is required", fields=["full_name"])
    roles = _check_roles(roles)
    _check_password(password)
    if db.session.scalar(select(func.count()).where(func.lower(User.username) == username.lower())):
        raise Conflict(f"The username {username!r} is taken", code="username_taken")
    user = User(
        username=username,
        full_name=full_name.strip(),
        title=title,
        email=email,
        organization=_resolve_organization(organization),
        password_hash=hash_password(password),
        session_nonce=_new_nonce(),
        role_rows=[UserRole(role=r) for r in roles],
    )
    db.session.add(user)
    audit.record(actor, "user.create", user, {"username": username, "roles": roles})
    return user


def update_user(actor: User, user_id: int, **changes) -> User:
    require_admin(actor)
    user = get_user(user_id)
    recorded = {}
    if changes.get("full_name") is not None:
        user.full_name = recorded["full_name"] = changes["full_name"].strip()
    if "title" in changes:
        user.title = recorded["title"] = changes["title"]
    if "email" in changes:
        user.email = recorded["email"] = changes["email"]
    if "organization" in changes:
        user.organization = _resolve_organization(changes["organization"])
        recorded["organization"] = user.organization.name if user.organization else None
    if changes.get("roles") is not None:
        roles = _check_roles(changes["roles"])
        if user.id == actor.id and "admin" not in roles:
            raise Conflict("You cannot take the admin role from yourself", code="last_admin")
        user.role_rows = [UserRole(role=r) for r in roles]
        recorded["roles"] = roles
        on_access_changed.run(user.id)  # the secretariat's role opens every meeting, and runs it
    if changes.get("password"):
        _check_password(changes["password"])
        user.password_hash = hash_password(changes["password"])
        _end_sessions(user)
        recorded["password"] = "changed"
    if changes.get("active") is not None and changes["active"] != user.active:
        set_active(actor, user, changes["active"])
    if recorded:
        audit.record(actor, "user.update", user, recorded)
    return user


def set_active(actor: User, user: User, active: bool) -> User:
    require_admin(actor)
    if user.id == actor.id and not active:
        raise Conflict("You cannot deactivate your own account", code="self_deactivation")
    user.active = active
    if not active:
        _end_sessions(user)
    audit.record(actor, "user.activate" if active else "user.deactivate", user)
    return user


def _end_sessions(user: User) -> None:
    user.session_nonce = _new_nonce()
    on_access_changed.run(user.id)
    db.session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(f"User {user_id} does not exist")
    return user


def list_users(actor: User) -> list[User]:
    if not actor.has_role("admin", "secretariat"):
        raise Forbidden("Only an administrator or the secretariat may list users")
    return list(db.session.scalars(select(User).order_by(User.id)))


def users_by_ids(ids: Iterable[int], field: str) -> list[User]:
    """Users for ids given in a request body; an unknown id is invalid input, not a 404."""
    ids = list(dict.fromkeys(ids))
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    missing = [i for i in ids if i not in users]
    if missing:
        raise Invalid(
            f"Unknown user id(s): {', '.join(map(str, missing))}", code="unknown_user", fields=[field]
        )
    return [users[i] for i in ids]


def create_organization(actor: User, name: str, short_name: str | None = None) -> Organization:
    require_admin(actor)
    name = name.strip()
    if db.session.scalar(select(func.count()).where(Organization.name == name)):
        raise Conflict(f"An organisation named {name!r} exists", code="organization_exists")
    org = Organization(name=name, short_name=short_name)
    db.session.add(org)
    audit.record(actor, "organization.create", org, {"name": name})
    return org


def list_organizations() -> list[Organization]:
    return list(db.session.scalars(select(Organization).order_by(Organization.name)))


def serialize_user(user: User) -> dict:
    return {
        "id": user.id,
        "username": user.username,
        "full_name": user.full_name,
        "title": user.title,
        "email": user.email,
        "roles": user.roles,
        "organization": user.organization.name if user.organization else None,
        "organization_id": user.organization_id,
        "active": user.active,
    }


def serialize_organization(org: Organization) -> dict:
    return {"id": org.id, "name": org.name, "short_name": org.short_name}
