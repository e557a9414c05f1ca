"""Helpers shared by the HTML pages: one transaction per form post, messages, role guards."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from functools import wraps
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, request
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ecabinet.errors import DomainError, Invalid
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


# Refusals that name no field of the body but are about one of the form's.
_FIELD_OF_CODE = {
    "invalid_chair": "chair_id",
    "unknown_user": "participants",
    "unknown_parent": "parent_id",
    "invalid_parent": "parent_id",
}


def field_message(exc: DomainError, fields: list[str]) -> str:
    """What the pages say about a refusal, for the one field named (a refusal may name several)."""
    return message_for(exc.code, exc.status, fields, exc.details) or exc.message


def refusal(
    exc: DomainError,
    fields: Iterable[str],
    describe: Callable[[DomainError, list[str]], str] = field_message,
) -> dict[str, str]:
    """A refused form's messages keyed by the form's fields they are about, to show beside them (the
    quorum's two numbers are one field, `quorum`); `describe` words them (a domain's pages add their
    own cases). A refusal about none of `fields` is flashed at the top of the page instead, and the
    answer is empty."""
    named = [_FIELD_OF_CODE[exc.code]] if exc.code in _FIELD_OF_CODE else exc.details.get("fields") or []
    marked: dict[str, str] = {}
    for field in named:
        name = field.split(".", 1)[0]
        shown = "quorum" if name.startswith("quorum_") else name
        if shown in fields and shown not in marked:
            marked[shown] = describe(exc, [name])
    flash(
        _("Nothing was saved: correct the fields marked below.")
        if marked
        else describe(exc, exc.details.get("fields") or []),
        "error",
    )
    return marked


def page_message(exc: DomainError) -> str:
    """A service's error in the reader's language."""
    return message_for(exc.code, exc.status, exc.details.get("fields"), exc.details) or exc.message


def message_for(code: str, status: int, fields=None, details: dict | None = None) -> str | None:
    """An error in the reader's language, for the pages and for the API's answers to their scripts.

    Services speak English to the API's clients, with a stable `code` and the offending `fields`;
    the page says the same thing in the interface language, looked up by code, then by field, then
    by status; None for a failure that is not the reader's doing (a 500, a 503), which keeps the
    server's words.
    """
    from ecabinet.auth.service import MIN_PASSWORD

    if code == "vote_open":  # the page names the vote that keeps the session open
        return _(
            "The vote “%(question)s” is still open: close it before closing the session.",
            question=(details or {})["question"],
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
        "not_pdf": _("The file is not a PDF. Upload the document as a PDF file."),
        "encrypted_pdf": _("The PDF is protected by a password; upload an unprotected copy."),
        "broken_pdf": _("The PDF is damaged and cannot be read; save it again as PDF and upload it."),
        "empty_pdf": _("The PDF has no pages."),
        "empty_file": _("The file is empty."),
        "missing_file": _("Choose a PDF file to upload."),
        "too_large": _("The file is larger than the %(mb)d MB allowed.", mb=_max_upload_mb()),
        "unknown_document": _("That document is not in this meeting."),
        "already_voted": _("You have already voted."),
        "vote_not_open": _("The vote is not open."),
        "not_checked_in": _("Check in to the meeting first."),
        "bad_credentials": _("Wrong username or password."),
        "rate_limited": _("Too many attempts; wait a minute and try again"),
        "comment_required": _("Say why you object: an objection needs a reason."),
        "consent_adopted": _("The consent block has already been adopted."),
        "bad_code": _("Wrong code: nothing was changed."),
        "bad_challenge": _("The login took too long or was already completed; log in again."),
        "mfa_required": _("Your role needs a second factor: add another one before removing this one."),
        "no_factor": _("Add a second factor first."),
        "bad_passkey": _("The passkey could not be checked; try again."),
        "no_ceremony": _("The passkey could not be checked; try again."),
        "deadline_passed": _("The deadline must be in the future."),
        "unknown_organization": _("Choose organisations from the list."),
        "owner_not_in_lead": _("The person in charge must belong to the lead organisation."),
        "no_decision": _(
            "Nothing has been decided on this item yet: write the decision in the minutes first."
        ),
        "ballot_not_closed": _("The ballot has no outcome until it closes."),
        "two_sources": _("A task comes from an agenda item or from a ballot, not both."),
        "wrong_task_step": _("The task has moved on meanwhile; reload the page."),
        "wrong_task_state": _("This cannot be done in the task's present state; reload the page."),
        "report_required": _("Write the report, or attach it as a PDF."),
        "extension_pending": _("An extension request already awaits its answer."),
        "no_extension_pending": _("No extension request awaits an answer."),
        "deadline_not_later": _("Ask for a deadline later than the present one."),
        "reason_required": _("Give the reason."),
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
        401: _("Your session has ended. Log in again."),
        403: _("You are not allowed to do this."),
        404: _("Not found: it may have been removed, or it is not open to you."),
        409: _("The change conflicts with the current state; reload the page and try again."),
        413: by_code["too_large"],
        415: by_code["not_pdf"],
        429: by_code["rate_limited"],
    }
    if code in by_code:
        return by_code[code]
    for field in fields or ():
        name = field.split(".", 1)[0]
        if name in by_field:
            return by_field[name]
    if status == 400:
        return _("Some of the input is not valid; check the form.")
    return by_status.get(status)


def _max_upload_mb() -> int:
    return current_app.config["ECABINET_MAX_UPLOAD_MB"]


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


def office_time(value: str | None, field: str) -> datetime | None:
    """<input type=datetime-local> sends office time without an offset; the office's zone supplies it."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise Invalid("Not a time", fields=[field]) from None
    if moment.tzinfo is None:
        zone = get_timezone()
        # pytz zones need localize(); replace() would give the zone's 1906 offset (+07:07).
        moment = zone.localize(moment) if hasattr(zone, "localize") else moment.replace(tzinfo=zone)
    return moment


def checked_ids(field: str) -> list[int]:
    return [int(v) for v in request.form.getlist(field) if v.isdigit()]


def user():
    return current_user._get_current_object()
