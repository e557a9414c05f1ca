"""The login rate limit, shared by the API and the login page."""

from flask import current_app, request
from flask_limiter.util import get_remote_address

from ecabinet.extensions import limiter


def _attempted_username() -> str:
    data = request.get_json(silent=True) if request.is_json else request.form
    name = data.get("username") if isinstance(data, dict) or hasattr(data, "get") else None
    return str(name).strip().lower()[:80] if name else ""


def _login_key() -> str:
    return f"{_attempted_username()}@{get_remote_address()}"


def _limit() -> str:
    return f"{current_app.config['ECABINET_LOGIN_ATTEMPTS_PER_MINUTE']} per minute"


# Only failures count: a member who logs in on three tablets is never slowed down.
login_limit = limiter.shared_limit(
    _limit, scope="login", key_func=_login_key, deduct_when=lambda response: response.status_code == 401
)
