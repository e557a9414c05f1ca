"""The one way a change reaches the tablets.

Services call `publish()` while they work. At commit the event gets its per-meeting `seq` (by
bumping the meeting's counter, which also locks it) and is stored in the same transaction as the
change; only after the commit is it handed to the sockets. A rolled-back change never reaches a tablet.

Who receives what:
- an ordinary event goes to the meeting's two rooms: the runners (secretariat, chair) get it with
  any `runner_data` merged in (live vote counts), everyone else without;
- an event about a confidential item goes to each user's own room in the meeting, with the details
  for those who may see the item and as `redacted` (same `seq`, empty data) for the rest.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from ecabinet.auth.models import User, UserRole
from ecabinet.common import unit_of_work
from ecabinet.common.hooks import Hook
from ecabinet.common.time import iso, utcnow
from ecabinet.extensions import db, socketio
from ecabinet.live.models import MeetingEvent
from ecabinet.meetings import access
from ecabinet.meetings.models import AgendaItem, Meeting

EVENT_TYPES = (
    "meeting.status",
    "agenda.changed",
    "agenda.current",
    "document.added",
    "attendance.changed",
    "vote.opened",
    "vote.progress",
    "vote.closed",
    "speakers.changed",
    "presenter.page",
    "minutes.approved",
    "positions.changed",
)
USER_EVENT_TYPES = (
    "ballot.sent",
    "ballot.reminder",
    "annotation.changed",
    "task.assigned",
    "task.extension_answered",
    "task.reminder",
)

_QUEUE = "live_events"
_USER_QUEUE = "live_user_events"
_OUTBOX = "live_outbox"
_ACCESS = "live_access_changed"
# `(user_ids)` once a change of who may follow what is committed (None: anyone's): the sockets check.
on_access_changed: Hook[[set[int] | None]] = Hook("publisher.on_access_changed")


@dataclass
class _Pending:
    meeting_id: int
    type: str
    data: dict
    runner_data: dict | None
    store_runner_data: bool
    agenda_item_id: int | None
    item_confidential: bool
    at: datetime = field(default_factory=utcnow)


def meeting_room(meeting_id: int, runner: bool) -> str:
    return f"meeting:{meeting_id}:{'runners' if runner else 'others'}"


def meeting_user_room(meeting_id: int, user_id: int) -> str:
    return f"meeting:{meeting_id}:user:{user_id}"


def user_room(user_id: int) -> str:
    return f"user:{user_id}"


def publish(
    meeting: Meeting,
    type: str,
    data: dict,
    item: AgendaItem | None = None,
    runner_data: dict | None = None,
    store_runner_data: bool = True,
) -> None:
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown live event type {type!r}")
    if item is not None and item.id is None:
        db.session.flush()
    item_id = item.id if item is not None else None
    confidential = item is not None and access.is_confidential(item)
    unit_of_work.queue(
        db.session(),
        _QUEUE,
        _Pending(meeting.id, type, data, runner_data, store_runner_data, item_id, confidential),
    )


def publish_to_user(user_id: int, type: str, data: dict) -> None:
    """An event for one user's own devices (a new ballot, their annotation saved elsewhere)."""
    if type not in USER_EVENT_TYPES:
        raise ValueError(f"unknown user event type {type!r}")
    unit_of_work.queue(
        db.session(), _OUTBOX, (user_room(user_id), _payload(None, type, None, data, utcnow()))
    )


def access_changed(user_id: int | None = None) -> None:
    """Who may follow what has changed (a meeting's participants or chair, an account's roles, a login
    ended): once the change is committed, the sockets of `user_id` (of everyone, with None) are
    checked again, and leave the rooms they may no longer be in."""
    unit_of_work.queue(db.session(), _ACCESS, user_id)


def _payload(seq: int | None, type: str, meeting_id: int | None, data: dict, at: datetime) -> dict:
    return {"seq": seq, "type": type, "meeting_id": meeting_id, "data": data, "at": iso(at)}


# Built once, run on the connection as plain SQL: every change a tablet sees runs them.
_MEETINGS = Meeting.__table__
_BUMP_SEQ = (
    update(_MEETINGS)
    .where(_MEETINGS.c.id == bindparam("meeting"))
    .values(last_event_seq=_MEETINGS.c.last_event_seq + bindparam("events"))
    .returning(_MEETINGS.c.last_event_seq)
)
_INSERT_EVENTS = insert(MeetingEvent.__table__)


def store_pending(session: Session) -> None:
    pending = unit_of_work.take(session, _QUEUE)
    if not pending:
        return
    session.flush()  # the rows the events name exist before the events do
    by_meeting: dict[int, list[_Pending]] = {}
    for event in pending:
        by_meeting.setdefault(event.meeting_id, []).append(event)
    # Meetings in id order, so two transactions never wait on each other's counters crosswise.
    for meeting_id in sorted(by_meeting):
        events = by_meeting[meeting_id]
        connection = session.connection()
        last = connection.execute(_BUMP_SEQ, {"meeting": meeting_id, "events": len(events)}).scalar_one()
        # Plain rows, not ORM objects: every cast of a vote storm writes one, and nothing reads them back here.
        rows = [
            {
                "meeting_id": meeting_id,
                "seq": seq,
                "type": event.type,
                "data": event.data,
                "runner_data": event.runner_data if event.store_runner_data else None,
                "agenda_item_id": event.agenda_item_id,
                "item_confidential": event.item_confidential,
                "at": event.at,
            }
            for seq, event in enumerate(events, start=last - len(events) + 1)
        ]
        connection.execute(_INSERT_EVENTS, rows)
        for row, event in zip(rows, events, strict=True):
            # Sent with what the runners see live, whether or not it was stored.
            _address(session, MeetingEvent(**row | {"runner_data": event.runner_data}))


def _address(session: Session, event: MeetingEvent) -> None:
    """Decide the rooms now, while the transaction can still read who may see what."""
    outbox = session.info.setdefault(_OUTBOX, [])
    if not event.item_confidential:
        public = _payload(event.seq, event.type, event.meeting_id, event.data, event.at)
        outbox.append((meeting_room(event.meeting_id, runner=False), public))
        outbox.append(
            (
                meeting_room(event.meeting_id, runner=True),
                _payload(
                    event.seq,
                    event.type,
                    event.meeting_id,
                    {**event.data, **(event.runner_data or {})},
                    event.at,
                ),
            )
        )
        return
    meeting = session.get(Meeting, event.meeting_id)
    for user in audience(meeting):
        outbox.append((meeting_user_room(meeting.id, user.id), view_of(user, event, meeting)))


def audience(meeting: Meeting) -> list[User]:
    """Everyone who may follow the meeting live."""
    users = {p.user_id: p.user for p in meeting.participants}
    staff = db.session.scalars(
        select(User).join(UserRole).where(UserRole.role.in_(("secretariat", "clerk")), User.active)
    )
    for user in staff:
        users.setdefault(user.id, user)
    return [u for u in users.values() if access.can_see_meeting(u, meeting)]


_last_sent = 0.0


def last_sent() -> float:
    """When this process last handed events to the sockets (`time.monotonic`; 0 if never)."""
    return _last_sent


def send_stored(session: Session) -> None:
    global _last_sent
    outbox = unit_of_work.take(session, _OUTBOX)
    if outbox:
        _last_sent = time.monotonic()
    for room, payload in outbox:
        socketio.emit("event", payload, to=room)
    changed = unit_of_work.take(session, _ACCESS)
    if changed:
        on_access_changed.run(None if None in changed else set(changed))


def latest_seq(meeting: Meeting) -> int:
    return db.session.scalar(select(Meeting.last_event_seq).where(Meeting.id == meeting.id))


def latest_seqs(meeting_ids: set[int]) -> dict[int, int]:
    """Each meeting's latest `seq`, for the sockets' heartbeat."""
    rows = db.session.execute(
        select(Meeting.id, Meeting.last_event_seq).where(Meeting.id.in_(sorted(meeting_ids)))
    )
    return dict(rows.all())


def events_after(user: User, meeting: Meeting, after: int, limit: int = 1000) -> list[dict]:
    rows = db.session.scalars(
        select(MeetingEvent)
        .where(MeetingEvent.meeting_id == meeting.id, MeetingEvent.seq > after)
        .order_by(MeetingEvent.seq)
        .limit(limit)
    )
    return [view_of(user, row, meeting) for row in rows]


def view_of(user: User, event: MeetingEvent, meeting: Meeting) -> dict:
    """The event as this user may see it: about a hidden item, only its number."""
    hidden = False
    if event.agenda_item_id is not None:
        item = db.session.get(AgendaItem, event.agenda_item_id)
        if item is not None:
            hidden = not access.can_see_item(user, item)
        else:  # the item was deleted since: the flag taken when it happened decides
            hidden = event.item_confidential and not access.can_run_meeting(user, meeting)
    if hidden:
        return _payload(event.seq, "redacted", event.meeting_id, {}, event.at)
    data = (
        {**event.data, **(event.runner_data or {})} if access.can_run_meeting(user, meeting) else event.data
    )
    return _payload(event.seq, event.type, event.meeting_id, data, event.at)
