"""The /api/v1 login gate: who is calling, and whether they may make the call at all, before any view
reads what they sent (`common.api.may`)."""

from __future__ import annotations

from flask import current_app, request, session
from flask_login import current_user

from ecabinet.auth.service import refusal
from ecabinet.common.api import actor, bearer_token
from ecabinet.common.pages import PAGE_SESSION_KEY
from ecabinet.extensions import db


def require_login() -> None:
    # Marks on the view itself, not on its name: another domain's view called `login` or `cast` must
    # not inherit them.
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, "_public", False):
        return
    if not current_user.is_authenticated:
        bearer = bool(request.headers.get("Authorization"))
        raise refusal(bearer_token() if bearer else session.get(PAGE_SESSION_KEY), bearer)
    if hasattr(view, "_may"):
        view._may(actor(), request.view_args or {})
    if getattr(view, "_written_elsewhere", False):
        # Who is calling and whether they may is all such a request reads: its transaction ends here.
        # What it loaded stays readable (detached); its connection goes back to the pool for the
        # writer, which a burst of requests waiting for their change to be written would otherwise hold.
        db.session.close()
