"""A meeting's live events: numbered, stored with the change that caused them, and shown to each
user as the meeting's access rules allow.

Services call `publish()` while they work. At commit the event gets its per-meeting `seq` (by
bumping the meeting's counter, which also locks it) and is stored in the same transaction as the
change; it is addressed to rooms then, and handed to the sockets after the commit by
`ecabinet.live.publisher`. A rolled-back change never reaches a tablet.

Who receives what:
- an ordinary event goes to the meeting's two rooms: the runners (secretariat, chair) get it with
  any `runner_data` merged in (live vote counts), everyone else without;
- an event about a confidential item goes to each user's own room in the meeting, with the details
  for those who may see the item and as `redacted` (same `seq`, empty data) for the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from ecabinet.auth.models import User, UserRole
from ecabinet.common import unit_of_work
from ecabinet.common.time import utcnow
from ecabinet.extensions import db
from ecabinet.live.models import MeetingEvent
from ecabinet.live.publisher import meeting_room, meeting_user_room, payload, send_after_commit
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

_QUEUE = "live_events"


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
    if not event.item_confidential:
        send_after_commit(
            session,
            meeting_room(event.meeting_id, runner=False),
            payload(event.seq, event.type, event.meeting_id, event.data, event.at),
        )
        send_after_commit(
            session,
            meeting_room(event.meeting_id, runner=True),
            payload(
                event.seq,
                event.type,
                event.meeting_id,
                {**event.data, **(event.runner_data or {})},
                event.at,
            ),
        )
        return
    meeting = session.get(Meeting, event.meeting_id)
    for user in audience(meeting):
        send_after_commit(session, meeting_user_room(meeting.id, user.id), view_of(user, event, meeting))


def audience(meeting: Meeting) -> list[User]:
    """Everyone who may follow the meeting live."""
    users = {p.user_id: p.user for p in meeting.participants}
    staff = db.session.scalars(
        select(User).join(UserRole).where(UserRole.role.in_(("secretariat", "clerk")), User.active)
    )
    for user in staff:
        users.setdefault(user.id, user)
    return [u for u in users.values() if access.can_see_meeting(u, meeting)]


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
        return payload(event.seq, "redacted", event.meeting_id, {}, event.at)
    data = (
        {**event.data, **(event.runner_data or {})} if access.can_run_meeting(user, meeting) else event.data
    )
    return payload(event.seq, event.type, event.meeting_id, data, event.at)
