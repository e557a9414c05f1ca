"""Helpers shared by the HTML pages: one transaction per form post, messages, role guards."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import flash, redirect, request
from flask_login import current_user, login_required

from ecabinet.errors import DomainError


def form_action(fallback: Callable[..., str]) -> Callable:
    """Run a form post; a domain error comes back to the page as a message, with nothing changed.

    The page redirects either way (post/redirect/get), to `next` when the form names one.
    """

    def wrap(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def run(*args, **kwargs):
            try:
                result = view(*args, **kwargs)
            except DomainError as exc:
                from ecabinet.extensions import db

                db.session.rollback()
                flash(exc.message, "error")
                return redirect(_safe_next() or fallback(**kwargs))
            return result or redirect(_safe_next() or fallback(**kwargs))

        return run

    return wrap


def _safe_next() -> str | None:
    target = request.form.get("next") or request.args.get("next")
    # Only paths on this site: no scheme, no host, no protocol-relative //evil.example.
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


def safe_next() -> str | None:
    return _safe_next()


def checked_ids(field: str) -> list[int]:
    return [int(v) for v in request.form.getlist(field) if v.isdigit()]


def user():
    return current_user._get_current_object()
