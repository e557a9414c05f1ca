"""Positions before the session and the consent block (Estonia's e-Cabinet habit): between publishing and
opening, each member taking part states per item whether they object or wish to speak; the items nobody
objected to go into the consent block, which the chair adopts at the session in one action."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ecabinet.audit import service as audit
from ecabinet.auth.models import User
from ecabinet.common.time import utcnow
from ecabinet.errors import Conflict, Forbidden, Invalid, NotFound
from ecabinet.extensions import db
from ecabinet.meetings import access, events
from ecabinet.meetings import service as meetings
from ecabinet.meetings.models import AgendaItem, Meeting
from ecabinet.minutes import service as minutes
from ecabinet.positions.models import POSITIONS, Position
from ecabinet.speakers import service as speakers

# What the minutes record as the decision on an item adopted in the consent block.
ADOPTED_WITHOUT_DISCUSSION = "Thông qua không thảo luận"


def positioning_item(user: User, item_id: int) -> AgendaItem:
    """An item on which the caller, a member taking part in its meeting, states a position."""
    item = db.session.get(AgendaItem, item_id)
    if item is None:
        raise NotFound(f"Agenda item {item_id} not found")
    # As for a vote's cast, the contract answers 403 to a non-participant, whether or not they could see
    # the meeting; a participant not cleared for the item (or before publishing) finds no item.
    if access.participant_of(user, item.meeting) is None:
        raise Forbidden("Only the members taking part in the meeting state positions")
    if not access.can_see_item(user, item):
        raise NotFound(f"Agenda item {item_id} not found")
    if not user.has_role("member"):
        raise Forbidden("Only the members taking part in the meeting state positions")
    return item


def positions_meeting(user: User, meeting_id: int) -> Meeting:
    """The meeting, if the caller may read its positions: its participants and the secretariat."""
    meeting = meetings.get_meeting(user, meeting_id)
    if access.participant_of(user, meeting) is None and not access.is_secretariat(user):
        raise Forbidden("Positions are for the meeting's participants and the secretariat")
    return meeting


def state(user: User, item_id: int, position: str, comment: str | None) -> Position:
    """Record (or change) the caller's position on an item, from publishing until the session opens."""
    item = positioning_item(user, item_id)
    if item.meeting.status != "published":
        raise Conflict(
            "Positions are stated after the meeting is published and before it starts",
            code="wrong_meeting_state",
        )
    comment = (comment or "").strip() or None
    if position == "object" and comment is None:
        raise Invalid("Say why you object", code="comment_required", fields=["comment"])
    mine = _positions_on([item.id]).get(item.id, {}).get(user.id)
    if mine is None:
        mine = Position(agenda_item_id=item.id, user_id=user.id)
        db.session.add(mine)
    mine.position, mine.comment, mine.updated_at = position, comment, utcnow()
    db.session.flush()
    audit.record(user, "position.state", item, {"position": position})
    # Counts only: who said what is for the table, not for every tablet in the room.
    events.publish(
        item.meeting,
        "positions.changed",
        {"agenda_item_id": item.id, "counts": _table_row(item).counts},
        item,
    )
    return mine


def _positions_on(item_ids: list[int]) -> dict[int, dict[int, Position]]:
    """item id → user id → position."""
    found: dict[int, dict[int, Position]] = {}
    for p in db.session.scalars(select(Position).where(Position.agenda_item_id.in_(item_ids))):
        found.setdefault(p.agenda_item_id, {})[p.user_id] = p
    return found


@dataclass
class ItemPositions:
    item: AgendaItem
    counts: dict[str, int]
    # Everyone's, in the order of the meeting's participants: the table shows who has not answered.
    positions: list[Position]
    # The members taking part who may see the item, whether they answered or not.
    members: list[User]


def _members(meeting: Meeting, item: AgendaItem) -> list[User]:
    return [
        p.user
        for p in meeting.participants
        if p.user.has_role("member") and access.cleared_for_item(p.user, item)
    ]


def _table_row(item: AgendaItem, stated: dict[int, Position] | None = None) -> ItemPositions:
    if stated is None:
        stated = _positions_on([item.id]).get(item.id, {})
    members = _members(item.meeting, item)
    positions = [stated[u.id] for u in members if u.id in stated]
    counts = {name: sum(1 for p in positions if p.position == name) for name in POSITIONS}
    counts["none"] = len(members) - len(positions)
    return ItemPositions(item, counts, positions, members)


def table(user: User, meeting_id: int) -> tuple[list[ItemPositions], bool]:
    """Per item the caller may see, in agenda order; and whether they may read everyone's positions
    (the chair and the secretariat always, members when the meeting shows them)."""
    meeting = positions_meeting(user, meeting_id)
    entries = meetings.visible_agenda(user, meeting)
    stated = _positions_on([e.item.id for e in entries])
    rows = [_table_row(e.item, stated.get(e.item.id, {})) for e in entries]
    return rows, access.can_run_meeting(user, meeting) or meeting.positions_visible


def mark_consent(user: User, meeting_id: int) -> list[AgendaItem]:
    """Put into the consent block every item on which no member objected or asked to speak: an item
    someone wants to speak on is discussed, so it cannot pass without discussion."""
    meeting = meetings.managed_meeting(user, meeting_id)
    _require_block_open(meeting)
    entries = meetings.whole_agenda(meeting)
    stated = _positions_on([e.item.id for e in entries])
    marked = []
    for entry in entries:
        row = _table_row(entry.item, stated.get(entry.item.id, {}))
        if not entry.item.consent and row.counts["object"] == 0 and row.counts["wish_to_speak"] == 0:
            entry.item.consent = True
            marked.append(entry.item)
    if marked:
        audit.record(user, "consent.mark", meeting, {"agenda_item_ids": [i.id for i in marked]})
        events.publish(meeting, "agenda.changed", {"action": "consent_marked"})
    return marked


def _require_block_open(meeting: Meeting) -> None:
    if meeting.status == "closed":
        raise Conflict("The meeting is closed", code="meeting_closed")
    if meeting.consent_adopted_at is not None:
        raise Conflict("The consent block has been adopted", code="consent_adopted")


def adopt_consent(user: User, meeting_id: int) -> list[AgendaItem]:
    """Adopt the consent block at the session: each of its items decided without discussion, one
    decision per item in the minutes. Once per session."""
    meeting = meetings.run_meeting(user, meeting_id)
    if meeting.status != "in_progress":
        raise Conflict("The consent block is adopted during the session", code="wrong_meeting_state")
    _require_block_open(meeting)
    now = utcnow()
    meeting.consent_adopted_at = now
    adopted = [e.item for e in meetings.whole_agenda(meeting) if e.item.consent]
    for item in adopted:
        item.consent_adopted_at = now
    minutes.record_decisions(user, meeting, {item.id: ADOPTED_WITHOUT_DISCUSSION for item in adopted})
    audit.record(user, "consent.adopt", meeting, {"agenda_item_ids": [i.id for i in adopted]})
    events.publish(meeting, "agenda.changed", {"action": "consent_adopted"})
    return adopted


def give_the_floor_they_asked_for(user: User, item: AgendaItem) -> None:
    """Members who said before the session that they wish to speak on the item are on its speakers'
    list as it comes up, once: one who has spoken on it is not put back when it comes up again."""
    wishing = [p.user_id for p in _table_row(item).positions if p.position == "wish_to_speak"]
    speakers.add_waiting(user, item, wishing)
