"""The floor: members ask to speak on an item, the chair gives and ends the floor, all tablets follow."""

from __future__ import annotations

from sqlalchemy import select

from ecabinet.audit import service as audit
from ecabinet.auth.models import User
from ecabinet.common.time import iso, utcnow
from ecabinet.errors import Conflict, Forbidden, NotFound
from ecabinet.extensions import db
from ecabinet.meetings import access, events
from ecabinet.meetings import service as meetings
from ecabinet.meetings.models import AgendaItem
from ecabinet.speakers.models import SpeakerRequest


def participants_item(user: User, item_id: int) -> AgendaItem:
    """An item of a meeting the caller takes part in, where they may ask for the floor."""
    item = meetings.get_item(user, item_id)
    if access.participant_of(user, item.meeting) is None:
        raise Forbidden("Only the meeting's participants ask for the floor")
    return item


def _item_in_session(user: User, item_id: int) -> AgendaItem:
    item = participants_item(user, item_id)
    if item.meeting.status not in ("published", "in_progress"):
        raise Conflict(f"The meeting is {item.meeting.status.replace('_', ' ')}", code="wrong_meeting_state")
    return item


def speakers(item: AgendaItem) -> list[SpeakerRequest]:
    """The item's requests for the floor in the order they were made (the API's lists: oldest first);
    the pages show who speaks, then the queue, then who spoke."""
    return list(
        db.session.scalars(
            select(SpeakerRequest)
            .where(SpeakerRequest.agenda_item_id == item.id)
            .order_by(SpeakerRequest.requested_at, SpeakerRequest.id)
        )
    )


def list_for(user: User, item_id: int) -> list[SpeakerRequest]:
    item = meetings.get_item(user, item_id)
    if access.participant_of(user, item.meeting) is None and not access.can_run_meeting(user, item.meeting):
        raise Forbidden("The speakers' list is for the meeting's participants")
    return speakers(item)


def _open_request(item: AgendaItem, user_id: int) -> SpeakerRequest | None:
    return db.session.scalar(
        select(SpeakerRequest).where(
            SpeakerRequest.agenda_item_id == item.id,
            SpeakerRequest.user_id == user_id,
            SpeakerRequest.state != "done",
        )
    )


def request_floor(user: User, item_id: int) -> AgendaItem:
    item = _item_in_session(user, item_id)
    if _open_request(item, user.id) is None:
        request = SpeakerRequest(agenda_item_id=item.id, user_id=user.id)
        db.session.add(request)
        audit.record(user, "speaker.request", request, {"agenda_item_id": item.id})
        _changed(item)
    return item


def add_waiting(user: User, item: AgendaItem, user_ids: list[int]) -> None:
    """Put these participants on the item's list, `user` (who runs the session) acting: each at most
    once, whatever became of an earlier request of theirs on it."""
    asked = set(
        db.session.scalars(select(SpeakerRequest.user_id).where(SpeakerRequest.agenda_item_id == item.id))
    )
    added = [uid for uid in user_ids if uid not in asked]
    for user_id in added:
        request = SpeakerRequest(agenda_item_id=item.id, user_id=user_id)
        db.session.add(request)
        audit.record(user, "speaker.request", request, {"agenda_item_id": item.id, "speaker_id": user_id})
    if added:
        _changed(item)


def withdraw(user: User, item_id: int) -> AgendaItem:
    item = _item_in_session(user, item_id)
    request = _open_request(item, user.id)
    if request is not None and request.state == "waiting":
        audit.record(user, "speaker.withdraw", request, {"agenda_item_id": item.id})
        db.session.delete(request)
        _changed(item)
    return item


def runnable_request(user: User, request_id: int) -> SpeakerRequest:
    """A request for the floor, if the caller may give or end it."""
    request = db.session.get(SpeakerRequest, request_id)
    if request is None:
        raise NotFound(f"Speaker request {request_id} not found")
    item = meetings.get_item(user, request.agenda_item_id)
    if not access.can_run_meeting(user, item.meeting):
        raise Forbidden("Only the chair or the secretariat gives the floor")
    return request


def _run(user: User, request_id: int) -> SpeakerRequest:
    request = runnable_request(user, request_id)
    if db.session.get(AgendaItem, request.agenda_item_id).meeting.status != "in_progress":
        raise Conflict("The floor is given while the meeting is in session", code="wrong_meeting_state")
    return request


def start(user: User, request_id: int) -> AgendaItem:
    request = _run(user, request_id)
    if request.state != "waiting":
        raise Conflict(f"This speaker is {request.state}", code="wrong_speaker_state")
    item = db.session.get(AgendaItem, request.agenda_item_id)
    now = utcnow()
    for current in speakers(item):
        if current.state == "speaking":  # one voice at a time: giving the floor ends the last turn
            current.state, current.finished_at = "done", now
    request.state, request.started_at = "speaking", now
    audit.record(user, "speaker.start", request, {"agenda_item_id": item.id, "speaker_id": request.user_id})
    _changed(item)
    return item


def finish(user: User, request_id: int) -> AgendaItem:
    request = _run(user, request_id)
    if request.state != "speaking":
        raise Conflict(f"This speaker is {request.state}", code="wrong_speaker_state")
    request.state, request.finished_at = "done", utcnow()
    item = db.session.get(AgendaItem, request.agenda_item_id)
    audit.record(user, "speaker.finish", request, {"agenda_item_id": item.id, "speaker_id": request.user_id})
    _changed(item)
    return item


def _changed(item: AgendaItem) -> None:
    db.session.flush()
    events.publish(
        item.meeting,
        "speakers.changed",
        {"agenda_item_id": item.id, "speakers": [serialize(r) for r in speakers(item)]},
        item,
    )


def serialize(r: SpeakerRequest) -> dict:
    return {
        "id": r.id,
        "agenda_item_id": r.agenda_item_id,
        "user_id": r.user_id,
        "full_name": r.user.full_name,
        "title": r.user.title,
        "state": r.state,
        "requested_at": iso(r.requested_at),
        "started_at": iso(r.started_at),
        "finished_at": iso(r.finished_at),
    }
