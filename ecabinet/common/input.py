"""Request bodies are checked against pydantic models before a service sees them.

Strict mode: a string where a number belongs is an error, not a guess. Times must carry an offset.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

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
Time = Annotated[AwareDatetime, AfterValidator(_utc_representable)]


def _storable(value: Any) -> bool:
    """PostgreSQL refuses NUL in text; the JSON parser already refuses unpaired surrogates."""
    if isinstance(value, str):
        return "\x00" not in value
    if isinstance(value, list | tuple):
        return all(_storable(v) for v in value)
    if isinstance(value, dict):
        return all(_storable(k) and _storable(v) for k, v in value.items())
    return True


class Body(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")

    @field_validator("*", mode="after")
    @classmethod
    def _storable_text(cls, value: Any) -> Any:
        if not _storable(value):
            raise ValueError("text may not contain NUL characters")
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
