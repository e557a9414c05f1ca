"""Domain errors raised by services, and the one place that turns them into answers."""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask, Request, g, jsonify, render_template, request
from flask_login import AnonymousUserMixin
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

# How long a client waits before it asks again when the server answers 503: a database restart or
# a Redis failover takes a second or two.
RETRY_AFTER_S = 2


class DomainError(Exception):
    status = 400
    code = "invalid"
    message = "Invalid request"

    def __init__(self, message: str | None = None, code: str | None = None, **details):
        super().__init__(message or self.message)
        self.message = message or self.message
        if code:
            self.code = code
        self.details = details


class Invalid(DomainError):
    status, code, message = 400, "invalid_input", "Invalid input"


class Unauthorized(DomainError):
    status, code, message = 401, "unauthorized", "Not logged in or the token is not valid"


class BadToken(Unauthorized):
    code, message = "bad_token", "The bearer token is not valid"


class DeviceWiped(Unauthorized):
    """The login this call came with was wiped: the device deletes what the app kept on it."""

    code, message = "device_wiped", "This device was wiped; log in again"


class Forbidden(DomainError):
    status, code, message = 403, "forbidden", "You are not allowed to do this"


class NotFound(DomainError):
    status, code, message = 404, "not_found", "Not found"


class Conflict(DomainError):
    status, code, message = 409, "conflict", "The request conflicts with the current state"


class TooLarge(DomainError):
    status, code, message = 413, "too_large", "The upload is too large"


class NotPdf(DomainError):
    status, code, message = 415, "not_pdf", "The upload is not a readable PDF"


class RateLimited(DomainError):
    status, code, message = 429, "rate_limited", "Too many attempts; wait a minute and try again"


class Unavailable(DomainError):
    status, code, message = 503, "unavailable", "The database is briefly unreachable; try again"


# What the database driver raises when the database cannot be reached or answered in time (a restart,
# a dropped connection, a full pool, SQLite's lock held too long): the same request succeeds shortly.
DATABASE_UNREACHABLE = (OperationalError, InterfaceError, PoolTimeout)


def database_unreachable(exc: BaseException) -> bool:
    return isinstance(exc, DATABASE_UNREACHABLE)


def wants_json(req: Request) -> bool:
    return req.path.startswith("/api/") or req.accept_mimetypes.best == "application/json"


def error_body(code: str, message: str, **details) -> dict:
    error = {"code": code, "message": message}
    if details:
        error.update(details)
    return {"error": error}


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    503: "unavailable",
}


def register_error_handlers(app: Flask, reworded: Callable[[str, int, dict], str | None]) -> None:
    """`reworded(code, status, details)` says a refusal in the reader's words where it should be
    (`common.pages.in_page_words`), or None for the service's own message."""

    def respond(status: int, code: str, message: str, **details):
        message = reworded(code, status, details) or message
        if wants_json(request):
            return jsonify(error_body(code, message, **details)), status
        return render_template("errors/error.html", status=status, message=message), status

    @app.errorhandler(DomainError)
    def handle_domain_error(exc: DomainError):
        return respond(exc.status, exc.code, exc.message, **exc.details)

    @app.errorhandler(IntegrityError)
    def handle_integrity_error(exc: IntegrityError):
        # A database constraint decided a race (a second vote, a taken name): the later request loses.
        _forget_transaction()
        return respond(409, "conflict", "The change conflicts with another that came first")

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    @app.errorhandler(PoolTimeout)
    def handle_database_unreachable(exc: SQLAlchemyError):
        # Logged without the traceback at every request of an outage, but with the driver's words.
        log.warning("database unreachable: %s", str(exc).splitlines()[0])
        _forget_transaction()
        if "_login_user" not in g:
            # The page's header names the logged-in user, whom the database was to load: the error
            # page is shown as to a visitor rather than failing on the same database again.
            g._login_user = AnonymousUserMixin()
        return respond(Unavailable.status, Unavailable.code, Unavailable.message)

    @app.after_request
    def retry_after(response):
        # Every 503 says when to come back (the database, Redis, a batch writer that was too slow).
        if response.status_code == 503:
            response.headers.setdefault("Retry-After", str(RETRY_AFTER_S))
        return response

    @app.errorhandler(HTTPException)
    def handle_http_error(exc: HTTPException):
        status = exc.code or 500
        if status == 429:
            return respond(429, "rate_limited", RateLimited.message)
        code = _HTTP_CODES.get(status, "error")
        return respond(status, code, exc.description or exc.name)


def _forget_transaction() -> None:
    from ecabinet.extensions import db

    try:
        db.session.rollback()
    except SQLAlchemyError:  # on a connection already lost: the session is reset all the same
        db.session.remove()
