"""Each user's private calendar feed: its secret, and the feed itself built from the event providers.

Calendar apps fetch a feed without logging in, so the feed's address is its only key: 256 bits
derived from a random nonce and SECRET_KEY, looked up by its SHA-256 and compared in constant time.
Rotating SECRET_KEY therefore changes every feed's address (as it ends every login).

What goes in the feed comes from event providers, one function per source, declared in `create_app`
(`init_app`): `provider(user)` yields the `CalendarEvent`s of that user. A feed leaves the house
(it is kept by Google, Apple or Microsoft on the member's phone), so a provider puts in it nothing a
confidential agenda item says — not even to a user cleared for it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from flask import Flask, current_app
from icalendar import Calendar, Event
from sqlalchemy import select

from ecabinet.audit import service as audit
from ecabinet.auth.models import User
from ecabinet.calendar.models import CalendarFeed
from ecabinet.common.time import cabinet_time, cabinet_timezone, utcnow
from ecabinet.extensions import db


@dataclass(frozen=True)
class CalendarEvent:
    """One entry of a feed. `uid` names it for good ("meeting-12"): a calendar app updates the entry
    it has rather than adding a second one when the meeting moves."""

    uid: str
    summary: str
    starts_at: datetime
    ends_at: datetime | None = None  # none: a moment, such as a deadline
    location: str | None = None
    description: str | None = None
    url: str | None = None


EventProvider = Callable[[User], Iterable[CalendarEvent]]

_PROVIDERS = "ecabinet.calendar.providers"


def init_app(app: Flask, providers: Sequence[EventProvider]) -> None:
    """Declare what the feeds of this app hold, in this order."""
    app.extensions[_PROVIDERS] = tuple(providers)


# --- the secret ----------------------------------------------------------------------------

# What `secret_for` makes: 32 bytes in URL-safe base64, without padding.
_SECRET_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")


def _secret(user_id: int, nonce: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"calendar-feed:{user_id}:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _draw(feed: CalendarFeed) -> str:
    feed.nonce = secrets.token_hex(32)
    secret = _secret(feed.user_id, feed.nonce)
    feed.secret_hash = _digest(secret)
    return secret


def secret_for(user: User) -> str:
    """The secret of the user's feed address; the feed is made the first time it is asked for."""
    feed = db.session.get(CalendarFeed, user.id)
    if feed is not None:
        return _secret(user.id, feed.nonce)
    feed = CalendarFeed(user_id=user.id)
    secret = _draw(feed)
    db.session.add(feed)
    audit.record(user, "calendar.create", ("users", user.id))
    return secret


def renew(user: User) -> str:
    """A new secret for the user's feed: the old address answers 404 from now on."""
    feed = db.session.get(CalendarFeed, user.id)
    if feed is None:
        return secret_for(user)
    secret = _draw(feed)
    audit.record(user, "calendar.renew", ("users", user.id))
    return secret


def user_for_secret(secret: str) -> User | None:
    """The active user whose feed `secret` opens, or None."""
    if not _SECRET_SHAPE.fullmatch(secret):
        return None
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.secret_hash == _digest(secret)))
    # The lookup is by the secret's hash, which tells a guesser nothing by its timing; the comparison
    # with the secret itself is made in constant time all the same.
    if feed is None or not hmac.compare_digest(_secret(feed.user_id, feed.nonce), secret):
        return None
    user = db.session.get(User, feed.user_id)
    return user if user is not None and user.active else None


# --- the feed ------------------------------------------------------------------------------


def feed(user: User, name: str, domain: str) -> bytes:
    """The user's feed as iCalendar (RFC 5545), times in the cabinet's zone; `domain` ends each
    entry's UID, making it unique beyond this house."""
    zone = cabinet_timezone()
    calendar = Calendar()
    calendar.add("prodid", "-//ecabinet//calendar feed//VI")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", zone.key)
    stamp = utcnow()
    for provider in current_app.extensions[_PROVIDERS]:
        for entry in provider(user):
            calendar.add_component(_event(entry, stamp, domain))
    calendar.add_missing_timezones()  # a VTIMEZONE for the cabinet's zone, as RFC 5545 asks
    return calendar.to_ical()


def _event(entry: CalendarEvent, stamp: datetime, domain: str) -> Event:
    event = Event()
    event.add("uid", f"{entry.uid}@{domain}")
    event.add("dtstamp", stamp)
    event.add("dtstart", cabinet_time(entry.starts_at))
    if entry.ends_at is not None:
        event.add("dtend", cabinet_time(entry.ends_at))
    event.add("summary", entry.summary)
    for name, value in (("location", entry.location), ("description", entry.description), ("url", entry.url)):
        if value:
            event.add(name, value)
    return event
