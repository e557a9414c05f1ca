"""Preparing and running meetings: details, participants, agenda, state, current item, attendance."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, bindparam, func, or_, select

from ecabinet.audit import service as audit
from ecabinet.auth import service as auth_service
from ecabinet.auth.models import User, UserRole
from ecabinet.common.hooks import Hook
from ecabinet.common.time import utcnow
from ecabinet.errors import Conflict, Forbidden, Invalid, NotFound
from ecabinet.extensions import db
from ecabinet.live import publisher
from ecabinet.meetings import access, events
from ecabinet.meetings.models import AgendaItem, AgendaItemAccess, Meeting, Participant

# state → (action, next state)
TRANSITIONS = {
    "publish": ("draft", "published"),
    "start": ("published", "in_progress"),
    "close": ("in_progress", "closed"),
}


# --- loading with permission ----------------------------------------------------------------


def get_meeting(user: User, meeting_id: int) -> Meeting:
    """The meeting if the user may see it; otherwise it does not exist for them."""
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None or not access.can_see_meeting(user, meeting):
        raise NotFound(f"Meeting {meeting_id} not found")
    return meeting


def get_item(user: User, item_id: int) -> AgendaItem:
    item = db.session.get(AgendaItem, item_id)
    if item is None or not access.can_see_item(user, item):
        raise NotFound(f"Agenda item {item_id} not found")
    return item


def may_prepare_meetings(user: User) -> None:
    if not access.can_manage_meeting(user):
        raise Forbidden("Only the secretariat prepares meetings")


def managed_meeting(user: User, meeting_id: int) -> Meeting:
    meeting = get_meeting(user, meeting_id)
    if not access.can_manage_meeting(user, meeting):
        raise Forbidden("Only the secretariat prepares meetings")
    return meeting


def managed_item(user: User, item_id: int) -> AgendaItem:
    item = get_item(user, item_id)
    if not access.can_manage_meeting(user, item.meeting):
        raise Forbidden("Only the secretariat prepares the agenda")
    return item


def run_meeting(user: User, meeting_id: int) -> Meeting:
    """The meeting, for the chair or the secretariat to run its session."""
    meeting = get_meeting(user, meeting_id)
    if not access.can_run_meeting(user, meeting):
        raise Forbidden("Only the chair or the secretariat runs the session")
    return meeting


def taking_part(user: User, meeting_id: int) -> Participant:
    """The caller's place among the meeting's participants."""
    meeting = get_meeting(user, meeting_id)
    participant = access.participant_of(user, meeting)
    if participant is None:
        raise Forbidden("Only the meeting's participants do this")
    return participant


def _require_editable(meeting: Meeting) -> None:
    if meeting.status == "closed":
        raise Conflict("The meeting is closed", code="meeting_closed")


def list_meetings(user: User) -> list[Meeting]:
    query = select(Meeting).order_by(Meeting.starts_at, Meeting.id)
    if not access.is_secretariat(user):
        query = query.where(Meeting.status != "draft")
        if not user.has_role("clerk"):
            query = query.join(Participant).where(Participant.user_id == user.id)
    return list(db.session.scalars(query))


# --- meetings ------------------------------------------------------------------------------


def _member_users(ids: Iterable[int], field: str) -> list[User]:
    return auth_service.users_by_ids(ids, field)


def _check_chair(chair_id: int | None) -> User | None:
    if chair_id is None:
        return None
    (chair,) = _member_users([chair_id], "chair_id")
    if not chair.has_role("member") or not chair.active:
        raise Invalid("The chair must be an active cabinet member", code="invalid_chair", fields=["chair_id"])
    return chair


def _check_times(starts_at: datetime, ends_at: datetime | None) -> None:
    if ends_at is not None and ends_at <= starts_at:
        raise Invalid("The meeting must end after it starts", fields=["ends_at"])


def _check_quorum(numerator: int, denominator: int) -> None:
    if not 0 < numerator <= denominator:
        raise Invalid("Quorum is a fraction between 0 and 1, e.g. 2/3", fields=["quorum_numerator"])


def _set_participants(meeting: Meeting, user_ids: Iterable[int]) -> None:
    wanted = {u.id: u for u in _member_users(user_ids, "participants")}
    # The relationship, not `chair_id`: on a meeting not yet flushed the id is still unset.
    if meeting.chair is not None:
        wanted.setdefault(meeting.chair.id, meeting.chair)
    kept = [p for p in meeting.participants if p.user_id in wanted]
    known = {p.user_id for p in kept}
    meeting.participants = kept + [Participant(user=u) for uid, u in wanted.items() if uid not in known]


def _participant_ids(meeting: Meeting) -> list[int]:
    return sorted(p.user.id for p in meeting.participants)


def create_meeting(
    user: User,
    *,
    title: str,
    starts_at: datetime,
    participants: list[int],
    location: str | None = None,
    chair_id: int | None = None,
    ends_at: datetime | None = None,
    kind: str = "regular",
    watermark: str = "confidential",
    require_checkin_to_vote: bool = False,
    quorum_numerator: int = 2,
    quorum_denominator: int = 3,
    retention_days: int | None = None,
    positions_visible: bool = False,
) -> Meeting:
    may_prepare_meetings(user)
    _check_times(starts_at, ends_at)
    _check_quorum(quorum_numerator, quorum_denominator)
    meeting = Meeting(
        title=title,
        starts_at=starts_at,
        ends_at=ends_at,
        location=location,
        chair=_check_chair(chair_id),
        kind=kind,
        watermark=watermark,
        require_checkin_to_vote=require_checkin_to_vote,
        quorum_numerator=quorum_numerator,
        quorum_denominator=quorum_denominator,
        retention_days=retention_days,
        positions_visible=positions_visible,
    )
    _set_participants(meeting, participants)
    db.session.add(meeting)
    audit.record(user, "meeting.create", meeting, {"title": title, "participants": _participant_ids(meeting)})
    return meeting


def update_meeting(user: User, meeting_id: int, **changes) -> Meeting:
    meeting = managed_meeting(user, meeting_id)
    _require_editable(meeting)
    recorded: dict = {}
    for name in (
        "title",
        "location",
        "kind",
        "watermark",
        "require_checkin_to_vote",
        "retention_days",
        "positions_visible",
    ):
        # Unset by null: no place, the office's default retention.
        if name in changes and (changes[name] is not None or name in ("location", "retention_days")):
            setattr(meeting, name, changes[name])
            recorded[name] = changes[name]
    if changes.get("starts_at") is not None:
        meeting.starts_at = changes["starts_at"]
        recorded["starts_at"] = changes["starts_at"].isoformat()
    if "ends_at" in changes:
        meeting.ends_at = changes["ends_at"]
        recorded["ends_at"] = changes["ends_at"].isoformat() if changes["ends_at"] else None
    _check_times(meeting.starts_at, meeting.ends_at)
    if "chair_id" in changes:
        meeting.chair = _check_chair(changes["chair_id"])
        recorded["chair_id"] = changes["chair_id"]
    if changes.get("quorum_numerator") is not None or changes.get("quorum_denominator") is not None:
        numerator = changes.get("quorum_numerator") or meeting.quorum_numerator
        denominator = changes.get("quorum_denominator") or meeting.quorum_denominator
        _check_quorum(numerator, denominator)
        meeting.quorum_numerator, meeting.quorum_denominator = numerator, denominator
        recorded["quorum"] = f"{numerator}/{denominator}"
    if changes.get("participants") is not None or "chair_id" in changes:
        ids = changes.get("participants")
        _set_participants(meeting, ids if ids is not None else [p.user_id for p in meeting.participants])
        recorded["participants"] = _participant_ids(meeting)
        publisher.access_changed()  # who follows the meeting live, and who runs it
    if changes.get("stand_ins") is not None:
        _set_stand_ins(meeting, changes["stand_ins"])
        recorded["stand_ins"] = changes["stand_ins"]
    if changes.get("clerks_not_cleared") is not None:
        _set_clerks_not_cleared(meeting, changes["clerks_not_cleared"])
        recorded["clerks_not_cleared"] = sorted(changes["clerks_not_cleared"])
        publisher.access_changed()  # who may follow the confidential items live
    if recorded:
        audit.record(user, "meeting.update", meeting, recorded)
        if meeting.status != "draft":
            events.publish(meeting, "agenda.changed", {"action": "meeting_updated"})
    return meeting


def _set_stand_ins(meeting: Meeting, pairs: list[dict]) -> None:
    """Who attends in place of which member (dự thay): both must be among the participants."""
    by_user = {p.user_id: p for p in meeting.participants}
    wanted: dict[int, int] = {}
    for pair in pairs:
        deputy, member = pair["user_id"], pair["for_user_id"]
        if deputy not in by_user or member not in by_user or deputy == member:
            raise Invalid(
                "A stand-in and the member they stand in for must both take part in the meeting",
                code="invalid_stand_in",
                fields=["stand_ins"],
            )
        if not by_user[member].user.has_role("member"):
            raise Invalid(
                "Only a cabinet member has a stand-in", code="invalid_stand_in", fields=["stand_ins"]
            )
        wanted[deputy] = member
    for participant in meeting.participants:
        participant.stands_in_for_id = wanted.get(participant.user_id)


# Opening and closing the session is running it, which the chair does too; publishing is preparing it.
_RUN_ACTIONS = ("start", "close")


def _set_clerks_not_cleared(meeting: Meeting, user_ids: list[int]) -> None:
    """The meeting's clerks are cleared for its confidential items unless listed here."""
    clerks = {p.user_id: p for p in meeting.participants if p.user.has_role("clerk")}
    if not set(user_ids) <= set(clerks):
        raise Invalid(
            "Only the meeting's clerks (participants with the clerk role) can be listed",
            code="invalid_clerk",
            fields=["clerks_not_cleared"],
        )
    for user_id, participant in clerks.items():
        participant.clerk_cleared = user_id not in user_ids


def may_change_status(action: str):
    """Who may take the meeting through `action`: the chair too for the session itself."""
    return run_meeting if action in _RUN_ACTIONS else managed_meeting


# Other domains act when a meeting goes out to its participants (documents: prepare their copies).
on_published: Hook[[Meeting]] = Hook("meetings.on_published")


def change_status(user: User, meeting_id: int, action: str) -> Meeting:
    meeting = may_change_status(action)(user, meeting_id)
    before, after = TRANSITIONS[action]
    if meeting.status != before:
        raise Conflict(
            f"Cannot {action} a meeting that is {meeting.status.replace('_', ' ')}",
            code="wrong_meeting_state",
        )
    if action == "close":
        on_closing.run(meeting)
    meeting.status = after
    recorded: dict = {"status": after}
    if after == "in_progress":
        meeting.started_at = utcnow()
        # Opening without a quorum is allowed (the pages ask first): the record says it happened.
        meeting.quorum_at_start = attendance(meeting).snapshot()
        recorded["attendance"] = meeting.quorum_at_start
    elif after == "closed":
        meeting.closed_at = utcnow()
    audit.record(user, f"meeting.{action}", meeting, recorded)
    events.publish(meeting, "meeting.status", recorded)
    if after == "published":
        on_published.run(meeting)
    return meeting


# What must hold before a session closes: each function raises to refuse (votes: none still open).
on_closing: Hook[[Meeting]] = Hook("meetings.on_closing")


# --- agenda --------------------------------------------------------------------------------


@dataclass
class AgendaEntry:
    item: AgendaItem
    number: str
    level: int
    # Among the siblings this user can see, from 1: a hidden item leaves no gap to count.
    position: int


def visible_agenda(user: User, meeting: Meeting) -> list[AgendaEntry]:
    """The agenda in order, depth first, numbered over what this user can see (1, 1.1, 2 …)."""
    if not access.can_see_meeting(user, meeting):
        return []
    return _numbered(meeting, lambda item: access.cleared_for_item(user, item))


def whole_agenda(meeting: Meeting) -> list[AgendaEntry]:
    """Every item, numbered as the secretariat numbers them: the minutes keep a confidential item's place
    (its number, not its content) for every reader. Callers decide what of each item a reader sees."""
    return _numbered(meeting, lambda item: True)


def _numbered(meeting: Meeting, shown: Callable[[AgendaItem], bool]) -> list[AgendaEntry]:
    entries: list[AgendaEntry] = []
    # The tree from the meeting's one list of items: no query per item for its children.
    children: dict[int | None, list[AgendaItem]] = {}
    for item in meeting.items:
        children.setdefault(item.parent_id, []).append(item)

    def walk(parent_id: int | None, prefix: str, level: int) -> None:
        number = 0
        for item in sorted(children.get(parent_id, []), key=lambda i: (i.position, i.id)):
            if not shown(item):
                continue
            number += 1
            label = f"{prefix}{number}"
            entries.append(AgendaEntry(item, label, level, number))
            walk(item.id, f"{label}.", level + 1)

    walk(None, "", 0)
    return entries


def _siblings(meeting: Meeting, parent_id: int | None) -> list[AgendaItem]:
    return sorted((i for i in meeting.items if i.parent_id == parent_id), key=lambda i: (i.position, i.id))


def _check_parent(
    meeting: Meeting, parent_id: int | None, moving: AgendaItem | None = None
) -> AgendaItem | None:
    if parent_id is None:
        return None
    parent = db.session.get(AgendaItem, parent_id)
    if parent is None or parent.meeting_id != meeting.id:
        raise Invalid(
            f"Agenda item {parent_id} is not in this meeting", code="unknown_parent", fields=["parent_id"]
        )
    node: AgendaItem | None = parent
    while node is not None:
        if moving is not None and node.id == moving.id:
            raise Invalid("An item cannot be moved under itself", code="invalid_parent", fields=["parent_id"])
        node = node.parent
    return parent


def _set_access(item: AgendaItem, user_ids: Iterable[int]) -> None:
    users = _member_users(user_ids, "restricted_to")
    item.access_rows = [AgendaItemAccess(user_id=u.id) for u in users]


def add_item(
    user: User,
    meeting_id: int,
    *,
    title: str,
    parent_id: int | None = None,
    presenter: str | None = None,
    description: str | None = None,
    duration_minutes: int | None = None,
    confidential: bool = False,
    restricted_to: list[int] | None = None,
    consent: bool = False,
) -> AgendaItem:
    meeting = managed_meeting(user, meeting_id)
    _require_editable(meeting)
    parent = _check_parent(meeting, parent_id)
    siblings = _siblings(meeting, parent_id)
    item = AgendaItem(
        meeting=meeting,
        parent=parent,
        position=(siblings[-1].position + 1) if siblings else 1,
        title=title,
        presenter=presenter,
        description=description,
        duration_minutes=duration_minutes,
        confidential=confidential,
        consent=consent,
    )
    db.session.add(item)
    _set_access(item, restricted_to or [])
    audit.record(
        user, "agenda.create", item, {"meeting_id": meeting.id, "title": title, "confidential": confidential}
    )
    events.publish(meeting, "agenda.changed", {"action": "created", "agenda_item_id": item.id}, item)
    return item


def update_item(user: User, item_id: int, **changes) -> AgendaItem:
    item = managed_item(user, item_id)
    meeting = item.meeting
    _require_editable(meeting)
    recorded: dict = {}
    for name in ("title", "presenter", "description", "duration_minutes", "confidential", "consent"):
        if name in changes and (
            changes[name] is not None or name in ("presenter", "description", "duration_minutes")
        ):
            setattr(item, name, changes[name])
            recorded[name] = changes[name]
    if "restricted_to" in changes:
        _set_access(item, changes["restricted_to"] or [])
        recorded["restricted_to"] = item.restricted_to
    if "parent_id" in changes and changes["parent_id"] != item.parent_id:
        item.parent = _check_parent(meeting, changes["parent_id"], moving=item)
        siblings = [s for s in _siblings(meeting, changes["parent_id"]) if s.id != item.id]
        item.position = (siblings[-1].position + 1) if siblings else 1
        recorded["parent_id"] = changes["parent_id"]
    if recorded:
        audit.record(user, "agenda.update", item, recorded)
        events.publish(meeting, "agenda.changed", {"action": "updated", "agenda_item_id": item.id}, item)
    return item


def delete_item(user: User, item_id: int) -> None:
    item = managed_item(user, item_id)
    meeting = item.meeting
    _require_editable(meeting)
    events.publish(meeting, "agenda.changed", {"action": "deleted", "agenda_item_id": item.id}, item)
    audit.record(user, "agenda.delete", item, {"meeting_id": meeting.id, "title": item.title})
    if meeting.current_item_id is not None and _is_within(meeting.current_item_id, item):
        meeting.current_item_id = None
    parent = item.parent
    # Deleted through the session, sub-items by cascade; taking it out of `meeting.items` first would
    # make it an orphan as well, which the flush cannot handle. The collections are reloaded instead.
    db.session.delete(item)
    db.session.flush()
    db.session.expire(meeting, ["items"])
    if parent is not None:
        db.session.expire(parent, ["children"])


def _is_within(item_id: int, root: AgendaItem) -> bool:
    return root.id == item_id or any(_is_within(item_id, child) for child in root.children)


def reorder(user: User, meeting_id: int, order: list[int], parent_id: int | None = None) -> Meeting:
    """`order` names every item under `parent_id` (top level by default) exactly once."""
    meeting = managed_meeting(user, meeting_id)
    _require_editable(meeting)
    if parent_id is not None:
        _check_parent(meeting, parent_id)
    siblings = _siblings(meeting, parent_id)
    if sorted(order) != sorted(i.id for i in siblings) or len(set(order)) != len(order):
        raise Invalid(
            "`order` must list every item at that level of the agenda exactly once",
            code="invalid_order",
            fields=["order"],
        )
    by_id = {i.id: i for i in siblings}
    for position, item_id in enumerate(order, start=1):
        by_id[item_id].position = position
    audit.record(user, "agenda.reorder", meeting, {"parent_id": parent_id, "order": order})
    events.publish(
        meeting,
        "agenda.changed",
        {"action": "reordered", "parent_id": parent_id},
        db.session.get(AgendaItem, parent_id) if parent_id else None,
    )
    return meeting


def set_current_item(user: User, meeting_id: int, item_id: int) -> AgendaItem:
    meeting = run_meeting(user, meeting_id)
    if meeting.status not in ("published", "in_progress"):
        raise Conflict(f"The meeting is {meeting.status.replace('_', ' ')}", code="wrong_meeting_state")
    item = db.session.get(AgendaItem, item_id)
    if item is None or item.meeting_id != meeting.id or not access.can_see_item(user, item):
        raise Invalid(
            f"Agenda item {item_id} is not in this meeting", code="unknown_item", fields=["agenda_item_id"]
        )
    meeting.current_item_id = item.id
    audit.record(user, "meeting.current_item", meeting, {"agenda_item_id": item.id})
    events.publish(meeting, "agenda.current", {"agenda_item_id": item.id, "title": item.title}, item)
    on_item_current.run(user, item)
    return item


# `(user, item)` when an item becomes current, in the same transaction: domains that build on meetings
# (the speakers' list from positions) act on it without meetings knowing them.
on_item_current: Hook[[User, AgendaItem]] = Hook("meetings.on_item_current")


def current_item_for(user: User, meeting: Meeting) -> AgendaItem | None:
    if meeting.current_item_id is None:
        return None
    item = db.session.get(AgendaItem, meeting.current_item_id)
    return item if item is not None and access.can_see_item(user, item) else None


# --- attendance ----------------------------------------------------------------------------


@dataclass
class Attendance:
    present: int
    members: int
    members_present: int
    required: int
    quorum: bool

    def snapshot(self) -> dict:
        """What the record keeps of the quorum at one moment (the session opened, a vote opened)."""
        return {
            "quorum": self.quorum,
            "members_present": self.members_present,
            "members": self.members,
            "required": self.required,
        }


def is_present(meeting: Meeting, participant: Participant, opening: bool = False) -> bool:
    """Checked in — or chairing: once the session is open (or as it opens, `opening`) the chair is in
    the room running it, whether or not they tapped "check in" on their own tablet."""
    chairing = opening or meeting.status in ("in_progress", "closed")
    return participant.present or (chairing and participant.user_id == meeting.chair_id)


def attendance(meeting: Meeting, opening: bool = False) -> Attendance:
    """Quorum counts member participants only; observers and staff may be present but do not count.
    `opening`: as it will be once the session opens (the pages ask before opening without a quorum)."""
    # Counted in the database, as is_present says it per participant: a vote's opening records the
    # quorum, and loading every participant with their account and roles cost it milliseconds.
    chairing = opening or meeting.status in ("in_progress", "closed")
    present, members, members_present = db.session.execute(
        _ATTENDANCE, {"meeting": meeting.id, "chair": meeting.chair_id if chairing else None}
    ).one()
    # The smallest whole number of members that reaches the fraction (ceil without floats).
    required = -(-members * meeting.quorum_numerator // meeting.quorum_denominator)
    return Attendance(
        # Who checked in (the contract's `present`); the quorum's count adds the chair running the session.
        present=present,
        members=members,
        members_present=members_present,
        required=required,
        quorum=members > 0 and members_present >= required,
    )


_ATTENDANCE = (
    select(
        func.count().filter(Participant.present),
        func.count(UserRole.user_id),
        func.count(UserRole.user_id).filter(
            or_(Participant.present, Participant.user_id == bindparam("chair"))
        ),
    )
    .select_from(Participant)
    .outerjoin(UserRole, and_(UserRole.user_id == Participant.user_id, UserRole.role == "member"))
    .where(Participant.meeting_id == bindparam("meeting"))
)


def check_in(user: User, meeting_id: int) -> Meeting:
    participant = taking_part(user, meeting_id)
    meeting = participant.meeting
    if meeting.status not in ("published", "in_progress"):
        raise Conflict(f"The meeting is {meeting.status.replace('_', ' ')}", code="wrong_meeting_state")
    if not participant.present:
        participant.present = True
        participant.checked_in_at = utcnow()
        audit.record(user, "attendance.check_in", meeting)
        summary = attendance(meeting)
        events.publish(
            meeting,
            "attendance.changed",
            {
                "user_id": user.id,
                "present": summary.present,
                "quorum": summary.quorum,
                "members_present": summary.members_present,
                "required": summary.required,
            },
        )
    return meeting
