"""Request bodies are checked against pydantic models before a service sees them.

Strict mode: a string where a number belongs is an error, not a guess. Times must carry an offset.
"""

from __future__ import annotations

from typing import Annotated, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from ecabinet.errors import Invalid

T = TypeVar("T", bound=BaseModel)

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
LongText = Annotated[str, StringConstraints(max_length=20000)]
Id = Annotated[int, Field(ge=1)]
Time = AwareDatetime


class Body(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")


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
    kinds = {err["type"] for err in exc.errors()}
    return "invalid_json" if kinds & {"json_invalid", "model_type"} else "invalid_input"


def _fields(exc: ValidationError) -> list[str]:
    return [".".join(str(p) for p in err["loc"]) for err in exc.errors() if err["loc"]]


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err["loc"])
        parts.append(f"{where}: {err['msg']}" if where else err["msg"])
    return "; ".join(parts)
