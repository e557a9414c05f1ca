"""Template helpers: times in the office's time zone and the reader's language.

The serialized meeting carries ISO strings in UTC (the API's shape); the pages reuse it, so the
filters accept those strings as well as datetimes. Flask-Babel's own `datetimeformat` needs a
datetime and gives the locale's generic pattern; a cabinet invitation reads "08:30, Thứ Hai,
ngày 30/11/2026", so the patterns are chosen here, per language.
"""

from __future__ import annotations

from datetime import datetime

from babel.dates import format_datetime
from flask import Flask
from flask_babel import get_locale

from ecabinet.common.time import cabinet_timezone

PATTERNS = {
    "vi": {
        "full": "HH:mm, EEEE, 'ngày' dd/MM/yyyy",
        "date": "EEEE, dd/MM/yyyy",
        "day": "dd/MM/yyyy",
        "time": "HH:mm",
        "short": "HH:mm dd/MM/yyyy",
    },
    "en": {
        "full": "EEEE d MMMM yyyy, HH:mm",
        "date": "EEEE d MMMM yyyy",
        "day": "d MMMM yyyy",
        "time": "HH:mm",
        "short": "HH:mm d/M/yyyy",
    },
}


def _as_datetime(value: str | datetime | None) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value


def local_time(value: str | datetime | None, style: str = "full") -> str:
    """A moment as the office reads it, e.g. `local_time(meeting.starts_at, "time")` → "08:30"."""
    moment = _as_datetime(value)
    if moment is None:
        return ""
    locale = get_locale()
    patterns = PATTERNS.get(locale.language if locale else "vi", PATTERNS["vi"])
    return format_datetime(moment, patterns[style], tzinfo=cabinet_timezone(), locale=locale)


def input_time(value: str | datetime | None) -> str:
    """The value of an <input type=datetime-local>: office time, no offset, minutes precision."""
    moment = _as_datetime(value)
    if moment is None:
        return ""
    return moment.astimezone(cabinet_timezone()).strftime("%Y-%m-%dT%H:%M")


def register_jinja(app: Flask) -> None:
    app.add_template_filter(local_time, "local_time")
    app.add_template_filter(input_time, "input_time")
