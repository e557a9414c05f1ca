"""Request bodies are checked against pydantic models before a service sees them.

Strict mode: a string where a number belongs is an error, not a guess. Times must carry an offset.
Every text that comes in — JSON bodies, form fields, query strings — is refused here if it holds a
control character other than tab, line feed or carriage return: PostgreSQL refuses NUL, and the Word
documents made from minutes, ballots and conclusions cannot carry the others (XML has no place for
them), so one bell character in a comment would break the secretariat's report until someone found it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from flask import Request, request
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from ecabinet.errors import Invalid

T = TypeVar("T", bound=BaseModel)

# Integer columns are 32 bits on PostgreSQL: a larger number is refused here, not by the database.
MAX_INT = 2**31 - 1
# A JSON body larger than this is refused (413) before it is read: no call needs more, and parsing a
# huge one would hold the serving loop. Uploads have their own limit (ECABINET_MAX_UPLOAD_MB).
MAX_JSON_BYTES = 1024 * 1024
# The longest list of ids a call takes (participants, recipients, restricted_to, an agenda's order,
# documents): far more than a cabinet has, far fewer than a database takes in one statement (SQLite
# 32,766 variables, PostgreSQL 65,535).
MAX_IDS = 1000
# C0 and C1 controls and DEL, except tab, LF and CR; U+FFFE and U+FFFF, which XML cannot carry either.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")


def _utc_representable(value: datetime) -> datetime:
    # Stored in UTC: "9999-12-31T23:59:59-14:00" has no UTC equivalent a datetime can hold.
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise ValueError("the time is out of range") from None
    return value


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
LongText = Annotated[str, StringConstraints(max_length=20000)]
Id = Annotated[int, Field(ge=1, le=MAX_INT)]
Ids = Annotated[list[Id], Field(max_length=MAX_IDS)]
Time = Annotated[AwareDatetime, AfterValidator(_utc_representable)]


def plain_text(value: Any) -> bool:
    """No control characters but tab, LF and CR, in a text or any text inside a list or mapping (the JSON
    parser already refuses unpaired surrogates)."""
    if isinstance(value, str):
        return _CONTROL.search(value) is None
    if isinstance(value, list | tuple):
        return all(plain_text(v) for v in value)
    if isinstance(value, dict):
        return all(plain_text(k) and plain_text(v) for k, v in value.items())
    return True


CONTROL_MESSAGE = "text may not contain control characters other than tab, line feed and carriage return"


def refuse_control_characters(fields: Iterable[tuple[str, str]]) -> None:
    """Form fields or query parameters, as (name, value) pairs: Invalid naming those with control characters."""
    bad = sorted({name for name, value in fields if not (plain_text(name) and plain_text(value))})
    if bad:
        raise Invalid(f"{', '.join(bad)}: {CONTROL_MESSAGE}", code="control_characters", fields=bad)


def check_query_string() -> None:
    """The request's query string: Invalid if it holds control characters."""
    refuse_control_characters(request.args.items(multi=True))


class CheckedRequest(Request):
    """Flask's request, whose form fields (page forms, an upload's title) are refused with control
    characters when the form is first read: after the route's permission check, like a JSON body."""

    def _load_form_data(self) -> None:
        super()._load_form_data()
        refuse_control_characters(self.form.items(multi=True))


class Body(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")

    @field_validator("*", mode="after")
    @classmethod
    def _plain_text(cls, value: Any) -> Any:
        if not plain_text(value):
            raise ValueError(CONTROL_MESSAGE)
        return value


def parse_json(model: type[T], raw: bytes) -> T:
    if not raw:
        raise Invalid("A JSON body is required", code="invalid_json")
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        raise Invalid(_describe(exc), code=_code(exc), fields=_fields(exc))


def parse_values(model: type[T], values: dict) -> T:
    """For HTML forms: the same model, with the browser's strings converted (lax mode)."""
    try:
        return model.model_validate(values, strict=False)
    except ValidationError as exc:
        raise Invalid(_describe(exc), code=_code(exc), fields=_fields(exc))


def _code(exc: ValidationError) -> str:
    # Not JSON, or not an object at the top: the body as a whole. A nested value of the wrong shape
    # (a question given as a string) is a field's invalid input like any other.
    whole = any(
        e["type"] == "json_invalid" or (e["type"] == "model_type" and not e["loc"]) for e in exc.errors()
    )
    return "invalid_json" if whole else "invalid_input"


def _fields(exc: ValidationError) -> list[str]:
    return [".".join(str(p) for p in err["loc"]) for err in exc.errors() if err["loc"]]


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err["loc"])
        parts.append(f"{where}: {err['msg']}" if where else err["msg"])
    return "; ".join(parts)


# Made on the tablet (a UUID) so that a request retried after a lost answer is recognised, not repeated.
ClientId = Annotated[str, StringConstraints(min_length=1, max_length=64)]
