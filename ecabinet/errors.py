"""Domain errors raised by services, and the one place that turns them into answers."""

from __future__ import annotations

from flask import Flask, Request, jsonify, render_template, request, session
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException


class DomainError(Exception):
    status = 400
    code = "invalid"
    message = "Invalid request"
    decided_in_batch = False  # by a batch writer's handler, for this item (`common.batching`)

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
}


def for_a_page(req: Request) -> bool:
    """The pages and their own scripts (logged in with the page's cookie, no bearer token) read
    errors in the interface's language; tablets and integrations get the services' English."""
    from ecabinet.auth.service import PAGE_SESSION_KEY

    if not wants_json(req):
        return True
    return not req.headers.get("Authorization") and bool(session.get(PAGE_SESSION_KEY))


def register_error_handlers(app: Flask) -> None:
    def respond(status: int, code: str, message: str, **details):
        if for_a_page(request):
            from ecabinet.common.pages import message_for

            message = message_for(code, status, details.get("fields")) or message
        if wants_json(request):
            return jsonify(error_body(code, message, **details)), status
        return render_template("errors/error.html", status=status, message=message), status

    @app.errorhandler(DomainError)
    def handle_domain_error(exc: DomainError):
        return respond(exc.status, exc.code, exc.message, **exc.details)

    @app.errorhandler(IntegrityError)
    def handle_integrity_error(exc: IntegrityError):
        # A database constraint decided a race (a second vote, a taken name): the later request loses.
        from ecabinet.extensions import db

        db.session.rollback()
        return respond(409, "conflict", "The change conflicts with another that came first")

    @app.errorhandler(HTTPException)
    def handle_http_error(exc: HTTPException):
        status = exc.code or 500
        if status == 429:
            return respond(429, "rate_limited", RateLimited.message)
        code = _HTTP_CODES.get(status, "error")
        return respond(status, code, exc.description or exc.name)
