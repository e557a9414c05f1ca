"""The /api/v1 blueprint every domain hangs its routes on, and what all of them share."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TypeVar

from flask import Blueprint, Response, jsonify, request, send_file
from flask_login import current_user
from pydantic import BaseModel
from werkzeug.exceptions import RequestEntityTooLarge

from ecabinet.common.input import MAX_INT, MAX_JSON_BYTES, check_query_string, parse_json
from ecabinet.errors import Invalid, TooLarge

T = TypeVar("T", bound=BaseModel)


def public(view: Callable) -> Callable:
    """Mark a route that answers without a login (login itself, the OpenAPI file)."""
    view._public = True
    return view


def may(check: Callable[..., object]) -> Callable:
    """Declare who may make this call at all: `check(user, ...)` raises Forbidden or NotFound for
    anyone else, and is given the path's values it names (`meeting_id`, `ballot_id` …). It is the
    service's own permission function, which the service calls again as it acts.

    The check runs before the view reads anything the caller sent (`auth.gate.require_login`), so a
    caller who may not act is answered 403 or 404 whatever their body: a malformed body tells them
    nothing, and only one who may act learns what is wrong with it. Every route that changes something declares
    one (`require_declared_permissions`)."""
    names = set(inspect.signature(check).parameters)

    def mark(view: Callable) -> Callable:
        view._may = lambda user, path: check(user, **{k: v for k, v in path.items() if k in names})
        return view

    return mark


def any_user(user) -> None:
    """For `may`: every logged-in user may make the call (it concerns their own account or login)."""


def require_declared_permissions(app, methods: set[str]) -> None:
    """Refuse to start with an /api/v1 route that changes something but does not say who may call it."""
    missing = [
        f"{sorted(rule.methods & methods)} {rule.rule}"
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        and rule.methods & methods
        and not hasattr(app.view_functions[rule.endpoint], "_may")
        and not getattr(app.view_functions[rule.endpoint], "_public", False)
    ]
    if missing:
        raise RuntimeError(f"Declare who may call these routes with @may: {', '.join(missing)}")


def api_blueprint(login_gate: Callable[[], None], *domains: Blueprint) -> Blueprint:
    """A fresh /api/v1 parent for each app, with the domains' blueprints nested in it; `login_gate`
    answers every call that is not `public` with 401, 403 or 404 unless it may be made (auth.gate)."""
    api_v1 = Blueprint("api", __name__, url_prefix="/api/v1")
    api_v1.before_request(login_gate)
    api_v1.before_request(check_query_string)  # after who may call: 401/403/404 come first
    for domain in domains:
        api_v1.register_blueprint(domain)
    return api_v1


def bearer_token() -> str | None:
    """The call's bearer token, if it carries one."""
    scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
    return (raw.strip() or None) if scheme.lower() == "bearer" else None


def writes(view: Callable) -> Callable:
    """Mark a GET that also records something (an audited download, a ballot closing on access):
    on SQLite it takes the write lock at its start like any POST."""
    view._writes = True
    return view


def written_elsewhere(view: Callable) -> Callable:
    """Mark a POST whose change is written in another transaction than the request's (a cast, by the
    cast writer: `votes.casting`). The request's own transaction only reads, at the gate: on SQLite it
    must not take the write lock the writer waits for, and it ends once the gate is passed."""
    view._writes = False
    view._written_elsewhere = True
    return view


def actor():
    """The logged-in user as a plain model object for the services."""
    return current_user._get_current_object()


def body(model: type[T]) -> T:
    if not request.is_json:
        raise Invalid("Send the body as application/json", code="invalid_json")
    return parse_json(model, json_bytes())


def json_bytes() -> bytes:
    """The request's body as sent, read no further than a JSON body may go: TooLarge past it."""
    too_large = TooLarge(f"A JSON body may be at most {MAX_JSON_BYTES // 1024} KiB", code="body_too_large")
    if (request.content_length or 0) > MAX_JSON_BYTES:
        raise too_large
    # A body sent without a length is read one byte past the limit, and no further.
    request.max_content_length = MAX_JSON_BYTES + 1
    try:
        raw = request.get_data(cache=True)
    except RequestEntityTooLarge:
        raise too_large from None
    if len(raw) > MAX_JSON_BYTES:
        raise too_large
    return raw


def uploaded_file():
    """The PDF a multipart call sends in its field `file` (an upload, a task's report)."""
    upload = request.files.get("file")
    if upload is None or not request.mimetype.startswith("multipart/form-data"):
        raise Invalid(
            "Send the PDF as multipart/form-data in the field `file`", code="missing_file", fields=["file"]
        )
    return upload


def query_int(name: str, default: int | None = None, minimum: int = 0, maximum: int = MAX_INT) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    # ASCII digits only: str.isdigit() also accepts "²" or "٣", which int() refuses or reads oddly.
    digits = raw.isascii() and raw.isdigit() and len(raw.lstrip("0")) <= len(str(maximum))
    if not digits or not minimum <= int(raw) <= maximum:
        raise Invalid(f"`{name}` must be a whole number from {minimum} to {maximum}", fields=[name])
    return int(raw)


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def download(content: bytes, mimetype: str, filename: str) -> Response:
    """A generated file as an attachment that no shared cache keeps."""
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def send_pdf(path, download_name: str) -> Response:
    """A stored PDF, with byte ranges for the viewer, that no shared cache keeps."""
    response = send_file(
        path, mimetype="application/pdf", download_name=download_name, conditional=True, max_age=0
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


def created(payload):
    return jsonify(payload), 201


def no_content():
    return "", 204
