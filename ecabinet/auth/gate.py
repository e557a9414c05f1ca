"""The /api/v1 login gate: who is calling, and whether they may make the call at all, before any view
reads what they sent (`common.api.may`)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import current_app, request, session
from flask_login import current_user

from ecabinet.auth import presence
from ecabinet.auth.service import BearerToken, refusal, user_for_token
from ecabinet.common.api import actor, bearer_token
from ecabinet.common.pages import PAGE_SESSION_KEY
from ecabinet.errors import DomainError


def token_checked_by_writer(view: Callable) -> Callable:
    """Mark a route written in batches whose writer looks up the batch's bearer tokens itself, all in
    one query (see `caller()`), rather than each request on its own before the view: when a whole
    cabinet votes at once, finding out who is calling was the largest part of a cast's cost. Cookie
    logins are still checked before the view."""

    @wraps(view)
    def checked(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except DomainError as refused:
            # Refused before the writer saw the token (a bad body, say): a bad token is answered 401
            # first, as on every other route. The writer's own refusals come after its lookup (a dead
            # token is what it refuses first), so a second vote costs no second lookup.
            # Likewise who may not make the call at all hears that, not what is wrong with the body.
            raw = bearer_token()
            if refused.status != 401 and not refused.decided_in_batch and raw:
                user = user_for_token(raw)
                if user is None:
                    raise refusal(raw, bearer=True) from None
                if hasattr(checked, "_may"):
                    checked._may(user, kwargs)
            raise

    checked._token_checked_by_writer = True
    return checked


def require_login() -> None:
    # Marks on the view itself, not on its name: another domain's view called `login` or `cast` must
    # not inherit them.
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, "_public", False):
        return
    if getattr(view, "_token_checked_by_writer", False) and bearer_token():
        # Its writer does not note the device as seen (it has no request to tell where from).
        presence.seen(BearerToken(bearer_token()).digest, request.remote_addr)
        return
    if not current_user.is_authenticated:
        bearer = bool(request.headers.get("Authorization"))
        raise refusal(bearer_token() if bearer else session.get(PAGE_SESSION_KEY), bearer)
    if hasattr(view, "_may"):
        view._may(actor(), request.view_args or {})


def caller():
    """Who is calling a `token_checked_by_writer` route: the logged-in user (cookie), or the bearer token
    still to be looked up."""
    raw = bearer_token()
    return BearerToken(raw) if raw else actor()
