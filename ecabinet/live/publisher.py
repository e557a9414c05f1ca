"""The one way a change reaches the tablets: rooms, and what goes out after the commit.

Services queue events while they work; only after the commit are they handed to the sockets, so a
rolled-back change never reaches a tablet. A meeting's events (numbered, stored, redacted by who may
see the item) are built by `ecabinet.meetings.events` and handed over here addressed to rooms; a
user's own events (a new ballot, a note saved on another device) come straight to `publish_to_user`.

This module knows no domain: the meetings' rules build on it, not it on them.
"""

from __future__ import annotations

import time
from datetime import datetime

from sqlalchemy.orm import Session

from ecabinet.common import unit_of_work
from ecabinet.common.hooks import Hook
from ecabinet.common.time import iso, utcnow
from ecabinet.extensions import db, socketio

USER_EVENT_TYPES = (
    "ballot.sent",
    "ballot.reminder",
    "annotation.changed",
    "task.assigned",
    "task.extension_answered",
    "task.reminder",
)

_OUTBOX = "live_outbox"
_ACCESS = "live_access_changed"
# `(user_ids)` once a change of who may follow what is committed (None: anyone's): the sockets check.
on_access_changed: Hook[[set[int] | None]] = Hook("publisher.on_access_changed")


def meeting_room(meeting_id: int, runner: bool) -> str:
    return f"meeting:{meeting_id}:{'runners' if runner else 'others'}"


def meeting_user_room(meeting_id: int, user_id: int) -> str:
    return f"meeting:{meeting_id}:user:{user_id}"


def user_room(user_id: int) -> str:
    return f"user:{user_id}"


def payload(seq: int | None, type: str, meeting_id: int | None, data: dict, at: datetime) -> dict:
    """An event as every socket and the events API send it."""
    return {"seq": seq, "type": type, "meeting_id": meeting_id, "data": data, "at": iso(at)}


def send_after_commit(session: Session, room: str, event: dict) -> None:
    """`event` goes to `room` once the session's transaction is committed, and never if it is not."""
    unit_of_work.queue(session, _OUTBOX, (room, event))


def publish_to_user(user_id: int, type: str, data: dict) -> None:
    """An event for one user's own devices (a new ballot, their annotation saved elsewhere)."""
    if type not in USER_EVENT_TYPES:
        raise ValueError(f"unknown user event type {type!r}")
    send_after_commit(db.session(), user_room(user_id), payload(None, type, None, data, utcnow()))


def access_changed(user_id: int | None = None) -> None:
    """Who may follow what has changed (a meeting's participants or chair, an account's roles, a login
    ended): once the change is committed, the sockets of `user_id` (of everyone, with None) are
    checked again, and leave the rooms they may no longer be in."""
    unit_of_work.queue(db.session(), _ACCESS, user_id)


_last_sent = 0.0


def last_sent() -> float:
    """When this process last handed events to the sockets (`time.monotonic`; 0 if never)."""
    return _last_sent


def send_stored(session: Session) -> None:
    global _last_sent
    outbox = unit_of_work.take(session, _OUTBOX)
    if outbox:
        _last_sent = time.monotonic()
    for room, event in outbox:
        socketio.emit("event", event, to=room)
    changed = unit_of_work.take(session, _ACCESS)
    if changed:
        on_access_changed.run(None if None in changed else set(changed))
