"""A second factor for a test's user, enrolled through the service as a user's phone would confirm it."""

from __future__ import annotations

import time

import pyotp

from ecabinet.auth import mfa
from ecabinet.auth.models import User
from ecabinet.extensions import db


def code(secret: str, steps_ahead: int = 0) -> str:
    """The code the app shows now (or that many 30-second steps later: each step's code is good once)."""
    return pyotp.TOTP(secret).at(time.time() + 30 * steps_ahead)


def enrol_totp(app, person) -> tuple[str, list[str]]:
    """Enrol an authenticator app for `person`: its secret, and the recovery codes shown once. The
    enrolment is confirmed with the code of the step before now, so that now's code is still unused."""
    with app.app_context():
        account = db.session.get(User, person.id)
        factor = mfa.pending_totp(account)
        secret = factor.totp_secret
        codes = mfa.confirm_totp(account, factor.id, code(secret, -1), "Điện thoại")
        db.session.commit()
    return secret, codes
