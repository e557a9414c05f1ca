"""Helpers shared by the HTML pages: one transaction per form post, messages, role guards."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, request, session
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ecabinet.common.hooks import Hook
from ecabinet.common.input import MAX_INT
from ecabinet.common.time import cabinet_timezone
from ecabinet.errors import DomainError, Invalid, wants_json
from ecabinet.extensions import db

# Where a page login keeps its token in the cookie session (auth): the pages and their scripts read
# errors in the interface's language (`in_page_words`).
PAGE_SESSION_KEY = "page_session"


def in_page_words(code: str, status: int, details: dict) -> str | None:
    """A refusal in the interface's language for the pages and their own scripts (logged in with the
    page's cookie, no bearer token); None for tablets and integrations, which get the services'
    English (the error handler, `errors.register_error_handlers`)."""
    if wants_json(request) and (request.headers.get("Authorization") or not session.get(PAGE_SESSION_KEY)):
        return None
    return message_for(code, status, details.get("fields"), details)


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
    # A refusal that names no field of the body may still be about one of the form's.
    field_of_code = _messages(exc.details).field_of_code
    named = [field_of_code[exc.code]] if exc.code in field_of_code else exc.details.get("fields") or []
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


@dataclass
class Messages:
    """A domain's refusals in the reader's language: by the error's code, by the field it names, and
    the form field a refusal naming none is about (`refusal`)."""

    by_code: dict[str, str] = dataclasses.field(default_factory=dict)
    by_field: dict[str, str] = dataclasses.field(default_factory=dict)
    field_of_code: dict[str, str] = dataclasses.field(default_factory=dict)


# Each domain's `Messages`, given the refusal's details (declared in create_app). Asked in the
# reader's language at each refusal, so a domain words its own errors and common names none of them.
domain_messages: Hook[[dict]] = Hook("pages.domain_messages")


def _messages(details: dict | None = None) -> Messages:
    merged = Messages()
    for messages in domain_messages:
        found = messages(details or {})
        merged.by_code.update(found.by_code)
        merged.by_field.update(found.by_field)
        merged.field_of_code.update(found.field_of_code)
    return merged


def message_for(code: str, status: int, fields=None, details: dict | None = None) -> str | None:
    """An error in the reader's language, for the pages and for the API's answers to their scripts.

    Services speak English to the API's clients, with a stable `code` and the offending `fields`;
    the page says the same thing in the interface language, looked up by code, then by field, then
    by status; None for a failure that is not the reader's doing (a 500, a 503), which keeps the
    server's words.
    """
    messages = _messages(details)
    by_code = {
        "too_large": _("The file is larger than the %(mb)d MB allowed.", mb=_max_upload_mb()),
        "rate_limited": _("Too many attempts; wait a minute and try again"),
        **messages.by_code,
    }
    by_status = {
        401: _("Your session has ended. Log in again."),
        403: _("You are not allowed to do this."),
        404: _("Not found: it may have been removed, or it is not open to you."),
        409: _("The change conflicts with the current state; reload the page and try again."),
        413: by_code["too_large"],
        415: by_code.get("not_pdf"),
        429: by_code["rate_limited"],
    }
    if code in by_code:
        return by_code[code]
    for name in fields or ():
        name = name.split(".", 1)[0]
        if name in messages.by_field:
            return messages.by_field[name]
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
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=cabinet_timezone())


def form_id(raw: str | None) -> int | None:
    """An id a form sent (a select's or a checkbox's value), or None for anything that cannot be one: only
    ASCII digits within the database's integers ("²" passes str.isdigit() and int() refuses it; twenty
    digits overflowed the database's integer; either was a 500). Usable as `request.form.get(type=...)`."""
    if raw and raw.isascii() and raw.isdigit() and len(raw) <= len(str(MAX_INT)) and int(raw) <= MAX_INT:
        return int(raw)
    return None


def checked_ids(field: str) -> list[int]:
    return [i for v in request.form.getlist(field) if (i := form_id(v)) is not None]


def user():
    return current_user._get_current_object()
