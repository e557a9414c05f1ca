"""The login rate limit, shared by the API and the login page.

The counts live in RATELIMIT_STORAGE_URI (Redis, when several processes serve). When it cannot be
reached, each process counts on its own in memory until it answers again
(RATELIMIT_IN_MEMORY_FALLBACK_ENABLED): logins go on, and the log says "Rate limit storage
unreachable - falling back to in-memory storage".
"""

import logging
from collections.abc import Callable

import pydantic_core
from flask import current_app, g, request, session
from flask_limiter.util import get_remote_address
from flask_login import current_user

from ecabinet.common.api import json_bytes
from ecabinet.errors import TooLarge
from ecabinet.extensions import limiter

# Flask-Limiter's own logger carries only a NullHandler, as a library's should, so its warning that it
# fell back would reach no log: it speaks through ours, which the server's log shows.
limiter.logger = logging.getLogger(__name__)


def _json_body() -> dict | None:
    """The call's JSON object, read as the view will read it: not past 1 MiB (the view then answers 413),
    so that a login of 40 MB is not read and parsed on the serving loop just to find its username. Parsed
    as the view parses it too (pydantic's parser, with its depth limit): the standard library's recursed
    past Python's limit on a thousand nested brackets, and any anonymous login was a 500."""
    if not request.is_json:
        return None
    try:
        data = pydantic_core.from_json(json_bytes())
    except (TooLarge, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _attempted_username() -> str:
    data = _json_body() if request.is_json else request.form
    name = data.get("username") if isinstance(data, dict) or hasattr(data, "get") else None
    return str(name).strip().lower()[:80] if name else ""


def _login_key() -> str:
    return f"{_attempted_username()}@{get_remote_address()}"


def _code_key() -> str:
    """Failed second-factor codes count per account (the challenge's) and address, like passwords."""
    from ecabinet.auth import mfa

    data = _json_body()
    raw = data.get("challenge") if isinstance(data, dict) else session.get(mfa.PAGE_CHALLENGE_KEY)
    owner = mfa.challenge_owner(raw) if isinstance(raw, str) else None
    if owner is None and current_user.is_authenticated:  # removing a factor, enrolling another
        owner = current_user.id
    return f"{owner or '-'}@{get_remote_address()}"


def _limit() -> str:
    return f"{current_app.config['ECABINET_LOGIN_ATTEMPTS_PER_MINUTE']} per minute"


def _address_limit() -> str:
    return f"{current_app.config['ECABINET_LOGIN_ATTEMPTS_PER_ADDRESS']} per minute"


def _failed(response) -> bool:
    # A wrong second-factor code counts also where the page answers it with a redirect (`mfa`).
    return response.status_code == 401 or g.get("code_failed", False)


# Only failures count: a member who logs in on three tablets is never slowed down. Per username and
# address, so that a guesser elsewhere cannot lock the member out; and per address, so that guessing
# one password at each of many accounts is slowed down too.
_failed_logins = limiter.shared_limit(_limit, scope="login", key_func=_login_key, deduct_when=_failed)
_failed_from_address = limiter.shared_limit(
    _address_limit, scope="login-address", key_func=get_remote_address, deduct_when=_failed
)
_failed_codes = limiter.shared_limit(_limit, scope="mfa", key_func=_code_key, deduct_when=_failed)
_LIMITED_VIEWS: set[Callable] = set()


def login_limit(view: Callable) -> Callable:
    """Put a login view under the limits of failed logins."""
    limited = _failed_logins(_failed_from_address(view))
    _LIMITED_VIEWS.add(limited)
    return limited


def code_limit(view: Callable) -> Callable:
    """Put a view that checks a second-factor code under the same limits: per account and address,
    and with the failed passwords of the address."""
    limited = _failed_codes(_failed_from_address(view))
    _LIMITED_VIEWS.add(limited)
    return limited


@limiter.request_filter
def _has_no_limit() -> bool:
    # Only the login views have a limit: every other request (a tablet's calls, a storm of votes) is let
    # through at once rather than having the limiter resolve, for each, that none applies.
    return current_app.view_functions.get(request.endpoint or "") not in _LIMITED_VIEWS
