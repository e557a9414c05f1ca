"""OpenAPI 3.1 for /api/v1, built from the routes that exist and the pydantic models they parse.

A route describes itself with @doc; the generator walks the URL map, so a route cannot exist without
appearing in the file.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Flask, current_app
from pydantic import BaseModel

from ecabinet.common.input import MAX_IDS

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        }
    },
}


def doc(
    summary: str,
    *,
    who: str = "any logged-in user",
    body: type[BaseModel] | None = None,
    returns: str = "JSON",
    status: int = 200,
    errors: tuple[int, ...] = (),
    multipart: bool = False,
    binary: str | None = None,
    query: dict[str, dict] | None = None,
    also: dict[int, str] | None = None,
) -> Callable:
    """`query` names the optional query parameters: name → JSON schema, with a `description`; `also`
    other successful answers than `status`: status → what it returns."""

    def mark(view: Callable) -> Callable:
        view._openapi = {
            "summary": summary,
            "who": who,
            "body": body,
            "returns": returns,
            "status": status,
            "errors": errors,
            "multipart": multipart,
            "binary": binary,
            "query": query or {},
            "also": also or {},
        }
        return view

    return mark


_CONVERTER = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")


def build(app: Flask | None = None) -> dict:
    app = app or current_app
    paths: dict[str, dict] = {}
    schemas: dict[str, dict] = {"Error": ERROR_SCHEMA}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith("/api/v1/"):
            continue
        view = app.view_functions[rule.endpoint]
        meta = getattr(view, "_openapi", None) or {
            "summary": rule.endpoint,
            "who": "",
            "body": None,
            "returns": "JSON",
            "status": 200,
            "errors": (),
            "multipart": False,
            "binary": None,
            "query": {},
            "also": {},
        }
        path = _CONVERTER.sub(r"{\1}", rule.rule[len("/api/v1") :])
        params = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}
            for name in _CONVERTER.findall(rule.rule)
        ] + [
            {
                "name": name,
                "in": "query",
                "required": False,
                "description": schema.get("description", ""),
                "schema": {k: v for k, v in schema.items() if k != "description"},
            }
            for name, schema in meta["query"].items()
        ]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            op: dict = {
                "summary": meta["summary"],
                "description": _description(meta, view),
                "operationId": f"{rule.endpoint}_{method.lower()}",
                "parameters": params,
                "responses": _responses(meta),
            }
            if meta["who"] == "anyone":
                op["security"] = []
            if meta["body"] is not None:
                model = meta["body"]
                schemas[model.__name__] = model.model_json_schema(ref_template="#/components/schemas/{model}")
                for name, sub in schemas[model.__name__].pop("$defs", {}).items():
                    schemas[name] = sub
                op["requestBody"] = {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}
                    },
                }
            if meta["multipart"]:
                op["requestBody"] = {
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "required": ["file"],
                                "properties": {
                                    "file": {"type": "string", "format": "binary"},
                                    "title": {"type": "string"},
                                },
                            }
                        }
                    },
                }
            paths.setdefault(path, {})[method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ecabinet tablet API",
            "version": "1",
            "description": "Paperless cabinet meetings, written-opinion ballots and minutes. "
            'Errors are {"error": {"code", "message"}}: `code` is stable, `message` is English for '
            "bearer-token callers and in the interface's language (Vietnamese unless the `lang` cookie "
            "says `en`) for the web pages' own scripts, logged in with the page's cookie; times are ISO "
            "8601 with an offset. "
            "Who may make a call is checked before its body: a caller who may not gets 401, 403 or 404 "
            "whatever it sends. Limits: a JSON body of at most 1 MiB (413 body_too_large); lists of ids of "
            f"at most {MAX_IDS}; text (bodies, form fields, query strings) without control characters other "
            "than tab, line feed and carriage return (400 control_characters); an uploaded PDF of at most "
            "ECABINET_MAX_UPLOAD_MB megabytes and ECABINET_MAX_PAGES pages (413 too_many_pages), whose "
            "streams do not inflate past a sane bound (415 pdf_bomb); at most ECABINET_MAX_ANNOTATIONS "
            "annotations per member and document version (409 too_many_annotations). Requests the server "
            "refuses before the app (a request line over 8,190 bytes: 414; headers too large: 431) carry "
            "the same error shape.",
        },
        "servers": [{"url": "/api/v1"}],
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
        "paths": paths,
    }


def _description(meta: dict, view: Callable) -> str:
    if not meta["who"]:
        return ""
    checked = " (checked before the body is read)" if hasattr(view, "_may") else ""
    return f"Who may call it: {meta['who']}{checked}."


def _responses(meta: dict) -> dict:
    if meta["binary"]:
        ok = {
            "description": meta["returns"],
            "content": {meta["binary"]: {"schema": {"type": "string", "format": "binary"}}},
        }
    elif meta["status"] == 204:
        ok = {"description": meta["returns"]}
    else:
        ok = {"description": meta["returns"], "content": {"application/json": {"schema": {}}}}
    responses = {str(meta["status"]): ok}
    for status, returns in meta["also"].items():
        responses[str(status)] = {"description": returns, "content": {"application/json": {"schema": {}}}}
    error_ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    # Every route may meet the database (or Redis) briefly out of reach: 503, to be retried.
    defaults = (400, 401, 503) if meta["who"] != "anyone" else (400, 503)
    if meta["body"] is not None:
        defaults += (413,)  # a JSON body over MAX_JSON_BYTES
    for status in sorted(set(defaults) | set(meta["errors"])):
        responses[str(status)] = {"description": _ERROR_TEXT.get(status, "error"), "content": error_ref}
    responses["503"]["headers"] = {
        "Retry-After": {"description": "seconds to wait before trying again", "schema": {"type": "integer"}}
    }
    return responses


_ERROR_TEXT = {
    400: "invalid input",
    401: "not logged in or bad token; code `device_wiped` when this login was wiped (`/me/devices`): "
    "delete what the app keeps on the device, then log in again",
    403: "not allowed",
    404: "not found or not visible to the caller",
    409: "state conflict",
    413: "too large: the upload, its pages, or the JSON body",
    415: "not a readable PDF",
    429: "too many attempts",
    503: "a service the server needs is briefly unreachable (code `unavailable`) or the server is busy "
    "(code `busy`); try again after Retry-After seconds",
}
