"""UTC in the database, ISO 8601 with an offset on the wire, the cabinet's time zone for people."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


def cabinet_timezone() -> ZoneInfo:
    """The time zone every page, form, mail and document reads times in (`ECABINET_TIMEZONE`)."""
    return _zone(current_app.config["ECABINET_TIMEZONE"])


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def cabinet_time(value: datetime) -> datetime:
    """An aware time as the cabinet reads it."""
    return value.astimezone(cabinet_timezone())


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, on SQLite (which keeps no offset) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
