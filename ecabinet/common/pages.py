"""Helpers shared by the HTML pages: one transaction per form post, messages, role guards."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlsplit

from flask import flash, redirect, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ecabinet.errors import DomainError
from ecabinet.extensions import db


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
                db.session.rollback()
                flash(page_message(exc), "error")
                return redirect(safe_next() or fallback(**kwargs))
            return result or redirect(safe_next() or fallback(**kwargs))

        return run

    return wrap


def page_message(exc: DomainError) -> str:
    """A service's error in the reader's language.

    Services speak English to the API's clients, with a stable `code` and the offending `fields`;
    the page says the same thing in the interface language, looked up by code, then by field.
    """
    from ecabinet.auth.service import MIN_PASSWORD

    if exc.code == "vote_open":  # the page names the vote that keeps the session open
        return _(
            "The vote “%(question)s” is still open: close it before closing the session.",
            question=exc.details["question"],
        )
    by_code = {
        "username_taken": _("This username is already taken."),
        "last_admin": _("You cannot take the administrator role from yourself."),
        "self_deactivation": _("You cannot deactivate your own account."),
        "organization_exists": _("An organisation with this name already exists."),
        "unknown_role": _("Choose roles from the list."),
        "meeting_closed": _("The meeting is closed and can no longer be changed."),
        "wrong_meeting_state": _("This cannot be done in the meeting's present state."),
        "invalid_chair": _("The chair must be an active cabinet member."),
        "invalid_parent": _("An item cannot be placed under itself or under one of its sub-items."),
        "unknown_parent": _("The chosen parent item is not in this meeting."),
        "unknown_item": _("That agenda item is not in this meeting."),
        "unknown_user": _("One of the chosen people does not exist."),
        "invalid_order": _("The agenda changed meanwhile; reload the page and try again."),
    }
    by_field = {
        "username": _("A username is 2–80 letters, digits, dots, dashes or underscores."),
        "full_name": _("A full name is required."),
        "roles": _("Choose at least one role."),
        "password": _("A password needs at least %(count)d characters.", count=MIN_PASSWORD),
        "organization": _("Choose an organisation from the list."),
        "name": _("An organisation needs a name."),
        "title": _("A title is required (at most 500 characters)."),
        "starts_at": _("Enter a valid start time."),
        "ends_at": _("Check the end time: the meeting must end after it starts."),
        "quorum_numerator": _("The quorum is a fraction between 0 and 1, for example 2/3."),
        "quorum_denominator": _("The quorum is a fraction between 0 and 1, for example 2/3."),
        "duration_minutes": _("Enter the duration as a whole number of minutes."),
        "presenter": _("The presenter's name is too long (at most 300 characters)."),
        "location": _("The location is too long (at most 300 characters)."),
        "chair_id": _("The chair must be an active cabinet member."),
    }
    by_status = {
        403: _("You are not allowed to do this."),
        404: _("Not found: it may have been removed, or it is not open to you."),
        409: _("The change conflicts with the current state; reload the page and try again."),
    }
    if exc.code in by_code:
        return by_code[exc.code]
    for field in exc.details.get("fields") or ():
        name = field.split(".", 1)[0]
        if name in by_field:
            return by_field[name]
    return by_status.get(exc.status, _("Some of the input is not valid; check the form."))


def safe_next(field: str = "next") -> str | None:
    """A same-site path from the form or query field (`next` by default), or None."""
    target = request.form.get(field) or request.args.get(field)
    if not target:
        return None
    # Only paths on this site: no scheme, no host, no protocol-relative //evil.example. Browsers drop
    # tabs and line breaks from a URL before reading it ("/\t/evil.example" is "//evil.example") and read
    # a backslash as a slash, so any of those disqualifies the path outright.
    if any(ord(c) < 0x20 or c in "\\\x7f" for c in target):
        return None
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.scheme and not parts.netloc:
        return target
    return None


def checked_ids(field: str) -> list[int]:
    return [int(v) for v in request.form.getlist(field) if v.isdigit()]


def user():
    return current_user._get_current_object()
