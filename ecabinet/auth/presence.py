"""A device's name, and when and where it was last seen.

Every call of a logged-in device would be a write if "last seen" were kept to the second, and the
vote-cast path must not write once per cast (`common.batching`). So each process remembers when it last
noted each login, and notes it again only after `ECABINET_DEVICE_SEEN_S` (a minute by default): the
note is handed to a writer that writes every waiting note in one statement, and the request goes on
without waiting for it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import bindparam, update

from ecabinet.auth.models import ApiToken
from ecabinet.common import batching
from ecabinet.common.time import UTCDateTime, utcnow
from ecabinet.extensions import db

# Token digest → when this process last noted it (monotonic seconds). Cleared when it grows past
# this many, so that calls with made-up tokens cannot grow it without end.
_noted: dict[str, float] = {}
_MAX_NOTED = 50_000

# The first that matches names the system, then the browser (an Edge or Opera agent also says Chrome).
_SYSTEMS = [("iPad", "iPad"), ("iPhone", "iPhone"), ("Android", "Android"), ("Windows", "Windows"),
            ("CrOS", "ChromeOS"), ("Macintosh", "macOS"), ("Linux", "Linux")]  # fmt: skip
_BROWSERS = [("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"),
             ("Chromium/", "Chromium"), ("Safari/", "Safari")]  # fmt: skip
_PROGRAM = re.compile(r"^([A-Za-z][\w.-]{0,40})/")


def device_name(user_agent: str | None) -> str | None:
    """A name a person recognises their device by ("Chrome · Windows"), from its user agent."""
    if not user_agent:
        return None
    system = next((name for mark, name in _SYSTEMS if mark in user_agent), None)
    browser = next((name for mark, name in _BROWSERS if mark in user_agent), None)
    if browser is None and not user_agent.startswith("Mozilla/"):
        program = _PROGRAM.match(user_agent)  # a tablet's app or a script: "ecabinet-tablet/2.1"
        browser = program.group(1) if program else None
    return " · ".join(part for part in (browser, system) if part) or user_agent[:100]


def noted_at_login(digest: str) -> None:
    """A login is seen as it is made: its first calls write nothing more."""
    _remember(digest)


def seen(digest: str, address: str | None) -> None:
    """Note that the login with this token digest made a call now, from `address`."""
    last = _noted.get(digest)
    if last is not None and time.monotonic() - last < current_app.config["ECABINET_DEVICE_SEEN_S"]:
        return
    _remember(digest)
    batching.writer_for("devices.seen", _write_seen).hand_over(_Seen(digest, utcnow(), address))


def _remember(digest: str) -> None:
    if len(_noted) >= _MAX_NOTED:
        _noted.clear()
    _noted[digest] = time.monotonic()


@dataclass(frozen=True)
class _Seen:
    digest: str
    at: datetime
    address: str | None


# Built once: one statement for a whole batch of notes. A token no longer live matches nothing.
_TOKENS = ApiToken.__table__
_NOTE_SEEN = (
    update(_TOKENS)
    .where(_TOKENS.c.token_hash == bindparam("digest"), _TOKENS.c.revoked_at.is_(None))
    .values(last_seen_at=bindparam("seen_at", type_=UTCDateTime()), address=bindparam("seen_from"))
)


def _write_seen(notes: Sequence[_Seen]) -> list[None]:
    rows = [{"digest": n.digest, "seen_at": n.at, "seen_from": (n.address or "")[:45] or None} for n in notes]
    db.session.connection().execute(_NOTE_SEEN, rows)
    return [None for _ in notes]
