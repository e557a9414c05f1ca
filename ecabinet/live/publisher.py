"""The one way a change reaches the tablets.

Services call `publish()` while they work. The event gets its per-meeting `seq` and is stored in the
same transaction as the change (allocated at commit, by bumping the meeting's counter, which also
locks it); only after the commit is it handed to the sockets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ecabinet.auth.models import User
from ecabinet.common import unit_of_work
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
)

USER_EVENT_TYPES = ("ballot.sent", "ballot.reminder", "annotation.changed")

_QUEUE = "live_events"
_USER_QUEUE = "live_user_events"


@dataclass
class _Pending:
    meeting_id: int
    type: str
    data: dict
    agenda_item_id: int | None
    item_confidential: bool
    at: datetime = field(default_factory=utcnow)


def publish(meeting: Meeting, type: str, data: dict, item: AgendaItem | None = None) -> None:
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown live event type {type!r}")
    if item is not None and item.id is None:
        db.session.flush()
    item_id = item.id if item is not None else None
    confidential = item is not None and access.is_confidential(item)
    unit_of_work.queue(db.session(), _QUEUE, _Pending(meeting.id, type, data, item_id, confidential))


def publish_to_user(user_id: int, type: str, data: dict) -> None:
    """An event for one user's own devices (a new ballot, their annotation saved elsewhere)."""
    if type not in USER_EVENT_TYPES:
        raise ValueError(f"unknown user event type {type!r}")
    unit_of_work.queue(
        db.session(), _USER_QUEUE,
        {"seq": None, "type": type, "meeting_id": None, "data": data, "at": iso(utcnow()), "user_id": user_id},
    )


def user_room(user_id: int) -> str:
    return f"user:{user_id}"


@unit_of_work.on_after_commit
def _send_user_events(session: Session) -> None:
    for event in unit_of_work.take(session, _USER_QUEUE):
        user_id = event.pop("user_id")
        socketio.emit("event", event, to=user_room(user_id))


@unit_of_work.on_before_commit
def _store_pending(session: Session) -> None:
    pending = unit_of_work.take(session, _QUEUE)
    if not pending:
        return
    by_meeting: dict[int, list[_Pending]] = {}
    for event in pending:
        by_meeting.setdefault(event.meeting_id, []).append(event)
    # Meetings in id order, so two transactions never wait on each other's counters crosswise.
    for meeting_id in sorted(by_meeting):
        events = by_meeting[meeting_id]
        last = session.execute(
            update(Meeting)
            .where(Meeting.id == meeting_id)
            .values(last_event_seq=Meeting.last_event_seq + len(events))
            .returning(Meeting.last_event_seq)
        ).scalar_one()
        for seq, event in enumerate(events, start=last - len(events) + 1):
            session.add(
                MeetingEvent(
                    meeting_id=meeting_id,
                    seq=seq,
                    type=event.type,
                    data=event.data,
                    agenda_item_id=event.agenda_item_id,
                    item_confidential=event.item_confidential,
                    at=event.at,
                )
            )
    session.flush()


def latest_seq(meeting: Meeting) -> int:
    return db.session.scalar(select(Meeting.last_event_seq).where(Meeting.id == meeting.id))


def events_after(user: User, meeting: Meeting, after: int, limit: int = 1000) -> list[dict]:
    rows = db.session.scalars(
        select(MeetingEvent)
        .where(MeetingEvent.meeting_id == meeting.id, MeetingEvent.seq > after)
        .order_by(MeetingEvent.seq)
        .limit(limit)
    )
    return [view_of(user, row) for row in rows]


def meeting_of(event: MeetingEvent) -> Meeting:
    return db.session.get(Meeting, event.meeting_id)


def view_of(user: User, event: MeetingEvent) -> dict:
    """The event as this user may see it: about a hidden item, only its number."""
    hidden = False
    if event.agenda_item_id is not None:
        item = db.session.get(AgendaItem, event.agenda_item_id)
        if item is not None:
            hidden = not access.can_see_item(user, item)
        else:
            hidden = event.item_confidential and not access.can_run_meeting(user, meeting_of(event))
    return {
        "seq": event.seq,
        "type": "redacted" if hidden else event.type,
        "meeting_id": event.meeting_id,
        "data": {} if hidden else event.data,
        "at": iso(event.at),
    }
