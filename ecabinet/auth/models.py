from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecabinet.common.time import UTCDateTime, utcnow
from ecabinet.extensions import db

ROLES = ("admin", "secretariat", "clerk", "member", "observer")
# A second factor: a code from an authenticator app (TOTP, RFC 6238), or a passkey (WebAuthn).
FACTOR_KINDS = ("totp", "webauthn")
# What a login challenge is for: the code of an account that has a factor, or enrolling the first one
# of an account whose role needs one (`ECABINET_MFA_REQUIRED_ROLES`).
CHALLENGE_PURPOSES = ("login", "enrol")


class Organization(db.Model):
    """A ministry or office (Bộ, cơ quan ngang bộ, Văn phòng Chính phủ)."""

    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    short_name: Mapped[str | None] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    # Part of the login cookie: changing it (deactivation, password change) ends every browser session.
    session_nonce: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organization: Mapped[Organization | None] = relationship(lazy="joined")
    role_rows: Mapped[list[UserRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="UserRole.role"
    )

    @property
    def roles(self) -> list[str]:
        return [r.role for r in self.role_rows]

    def has_role(self, *roles: str) -> bool:
        return any(r.role in roles for r in self.role_rows)

    @property
    def is_active(self) -> bool:  # flask-login refuses inactive users
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_nonce}"


class UserRole(db.Model):
    __tablename__ = "user_roles"
    __table_args__ = (CheckConstraint(f"role IN {ROLES!r}", name="known_role"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)


class ApiToken(db.Model):
    """A bearer token; only its SHA-256 is stored, so a leaked database holds no usable token.

    Each token is one login — a tablet's, or a browser's page session — and so one of the user's
    devices (`ecabinet.devices`): named, last seen, revoked or wiped from the devices page."""

    __tablename__ = "api_tokens"
    __table_args__ = (UniqueConstraint("token_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user_agent: Mapped[str | None] = mapped_column(String(200))
    name: Mapped[str | None] = mapped_column(String(100))
    # Where it was last seen from, and when: written at most once a minute (`devices.service.seen`).
    address: Mapped[str | None] = mapped_column(String(45))
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A wiped token is revoked too; it is kept to tell the device, at its next call, to clear itself.
    wiped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # How the login was made: "token", a tablet's bearer token; "page", a browser's page session, kept
    # in its login cookie. A page session's token is not taken as a bearer token (the cookie can be
    # read): the page session's idle timeout would not hold for it.
    via: Mapped[str] = mapped_column(String(10), default="token", server_default="token")

    user: Mapped[User] = relationship()


class SecondFactor(db.Model):
    """One of a user's second factors. A TOTP factor counts once confirmed with a code from the app
    (proof that the secret was scanned); a passkey is confirmed by its registration ceremony."""

    __tablename__ = "second_factors"
    __table_args__ = (
        CheckConstraint(f"kind IN {FACTOR_KINDS!r}", name="known_factor_kind"),
        UniqueConstraint("credential_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(100))
    # TOTP: the shared secret (base32). It must be read back to check a code, so it is not hashed.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    # TOTP: the time step of the code last accepted; a code is good once, not for its whole 30 s.
    last_step: Mapped[int | None] = mapped_column()
    # WebAuthn: the credential's id (base64url) and public key (COSE), and its signature counter.
    credential_id: Mapped[str | None] = mapped_column(String(1400))
    public_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    sign_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RecoveryCode(db.Model):
    """A one-time code for when the second factor is lost; only its SHA-256 is kept."""

    __tablename__ = "recovery_codes"
    __table_args__ = (UniqueConstraint("user_id", "code_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginChallenge(db.Model):
    """The second step of a login: after the password, before the token. Only its SHA-256 is kept; it
    expires within minutes and is used once (`used_at`, set by a conditional update that decides races)."""

    __tablename__ = "login_challenges"
    __table_args__ = (
        UniqueConstraint("token_hash"),
        CheckConstraint(f"purpose IN {CHALLENGE_PURPOSES!r}", name="known_challenge_purpose"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The login's device name, as the password step was given it, for the token the second step issues.
    device_name: Mapped[str | None] = mapped_column(String(100))
    # A passkey ceremony's random challenge (base64url), while one is under way.
    webauthn_challenge: Mapped[str | None] = mapped_column(String(200))
