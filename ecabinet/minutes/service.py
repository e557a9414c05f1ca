"""The minutes: the clerk's notes and decisions per item, kept as revisions, frozen by approval.

Everything the system already knows — attendance, quorum, the agenda with presenters, who took the
floor, every vote's result — comes in by itself when the minutes are shown or exported.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from ecabinet.audit import service as audit
from ecabinet.auth.models import User
from ecabinet.common.time import iso, utcnow
from ecabinet.errors import Conflict, Forbidden, Invalid
from ecabinet.extensions import db
from ecabinet.meetings import access, events
from ecabinet.meetings import service as meetings
from ecabinet.meetings.models import AgendaItem, Meeting
from ecabinet.minutes.models import Minutes, MinutesRevision
from ecabinet.speakers import service as speakers
from ecabinet.votes import service as votes
from ecabinet.votes.models import Vote


def can_write(user: User) -> bool:
    return user.has_role("clerk", "secretariat")


def _readable_meeting(user: User, meeting_id: int) -> Meeting:
    meeting = meetings.get_meeting(user, meeting_id)
    if access.participant_of(user, meeting) is None and not user.has_role("clerk", "secretariat"):
        raise Forbidden("The minutes are for the meeting's participants, the clerk and the secretariat")
    return meeting


def writable_meeting(user: User, meeting_id: int) -> Meeting:
    """The meeting, if the caller keeps its minutes."""
    if not can_write(user):
        raise Forbidden("Only the clerk or the secretariat writes the minutes")
    return _readable_meeting(user, meeting_id)


def approvable_meeting(user: User, meeting_id: int) -> Meeting:
    """The meeting, if the caller may approve its minutes."""
    meeting = _readable_meeting(user, meeting_id)
    if not access.can_run_meeting(user, meeting):
        raise Forbidden("The chair or the secretariat approves the minutes")
    return meeting


def _minutes_of(meeting: Meeting) -> Minutes:
    minutes = db.session.get(Minutes, meeting.id)
    if minutes is None:
        minutes = Minutes(meeting_id=meeting.id)
        db.session.add(minutes)
    return minutes


@dataclass
class EntryInput:
    agenda_item_id: int
    notes: str | None = None
    decision: str | None = None


def save(
    user: User,
    meeting_id: int,
    summary: str | None,
    entries: list[EntryInput],
    base_revision: int | None = None,
) -> Minutes:
    """A new revision with these changes; on a stale base revision, 409 with the newer text."""
    meeting = writable_meeting(user, meeting_id)
    if meeting.status == "draft":
        raise Conflict("The meeting has not been published", code="wrong_meeting_state")
    minutes = _minutes_of(meeting)
    if minutes.approved_at is not None:
        raise Conflict("The minutes are approved and frozen", code="minutes_approved")
    latest = minutes.latest
    if base_revision is not None and base_revision != (latest.number if latest else 0):
        raise Conflict(
            "Someone saved the minutes in the meantime; here is their text",
            code="stale_revision",
            current=serialize_text(user, meeting, minutes),
        )
    visible = {e.item.id for e in meetings.visible_agenda(user, meeting)}
    seen = set()
    for entry in entries:
        if entry.agenda_item_id not in visible or entry.agenda_item_id in seen:
            raise Invalid(
                f"Agenda item {entry.agenda_item_id} is not (once) in this meeting",
                code="unknown_item",
                fields=["entries"],
            )
        seen.add(entry.agenda_item_id)
    _new_revision(user, meeting, minutes, summary, entries)
    return minutes


def _new_revision(
    user: User, meeting: Meeting, minutes: Minutes, summary: str | None, entries: list[EntryInput]
) -> MinutesRevision:
    latest = minutes.latest
    texts = dict(latest.entries) if latest else {}
    for entry in entries:
        current = dict(texts.get(str(entry.agenda_item_id), {"notes": "", "decision": ""}))
        if entry.notes is not None:
            current["notes"] = entry.notes
        if entry.decision is not None:
            current["decision"] = entry.decision
        texts[str(entry.agenda_item_id)] = current
    revision = MinutesRevision(
        meeting_id=meeting.id,
        number=(latest.number + 1) if latest else 1,
        summary=summary if summary is not None else (latest.summary if latest else ""),
        entries=texts,
        author_id=user.id,
    )
    minutes.revisions.append(revision)
    db.session.flush()
    # The text itself is in the revision history; the log says who saved which revision.
    audit.record(user, "minutes.save", ("minutes", meeting.id), {"revision": revision.number})
    return revision


def record_decisions(user: User, meeting: Meeting, decisions: dict[int, str]) -> None:
    """Write decisions the session took as a whole (the consent block) into the minutes, as a revision
    by `user`, whom the caller has allowed to take them. A decision the clerk already wrote is kept."""
    minutes = _minutes_of(meeting)
    if minutes.approved_at is not None:
        raise Conflict("The minutes are approved and frozen", code="minutes_approved")
    texts = minutes.latest.entries if minutes.latest else {}
    entries = [
        EntryInput(item_id, decision=text)
        for item_id, text in decisions.items()
        if not texts.get(str(item_id), {}).get("decision")
    ]
    if entries:
        _new_revision(user, meeting, minutes, None, entries)


def approve(user: User, meeting_id: int) -> Minutes:
    meeting = approvable_meeting(user, meeting_id)
    minutes = _minutes_of(meeting)
    if minutes.approved_at is not None:
        raise Conflict("The minutes are already approved", code="minutes_approved")
    if minutes.latest is None:
        raise Conflict("There is nothing to approve yet", code="minutes_empty")
    minutes.approved_at, minutes.approved_by_id = utcnow(), user.id
    minutes.approved_revision = minutes.latest.number
    audit.record(user, "minutes.approve", ("minutes", meeting.id), {"revision": minutes.approved_revision})
    events.publish(
        meeting, "minutes.approved", {"revision": minutes.approved_revision, "approved_by": user.full_name}
    )
    return minutes


def get(user: User, meeting_id: int) -> tuple[Meeting, Minutes]:
    meeting = _readable_meeting(user, meeting_id)
    minutes = db.session.get(Minutes, meeting.id) or Minutes(meeting_id=meeting.id)
    return meeting, minutes


def revisions(user: User, meeting_id: int) -> list[MinutesRevision]:
    meeting, minutes = get(user, meeting_id)
    return list(minutes.revisions)


def visible_keys(user: User, meeting: Meeting) -> set[str]:
    """The keys of a revision's `entries` this user may read: a confidential item's text stays hidden."""
    return {str(e.item.id) for e in meetings.visible_agenda(user, meeting)}


def _effective(minutes: Minutes) -> MinutesRevision | None:
    """Approved minutes are the frozen revision; otherwise the latest."""
    if minutes.approved_revision is not None:
        return next(r for r in minutes.revisions if r.number == minutes.approved_revision)
    return minutes.latest


def serialize_text(user: User, meeting: Meeting, minutes: Minutes) -> dict:
    revision = _effective(minutes)
    texts = revision.entries if revision else {}
    # Numbered as in the minutes, where a confidential item keeps its place.
    numbers = {e.item.id: e.number for e in meetings.whole_agenda(meeting)}
    return {
        "meeting_id": meeting.id,
        "summary": revision.summary if revision else "",
        "entries": [
            {
                "agenda_item_id": e.item.id,
                "number": numbers[e.item.id],
                "title": e.item.title,
                "notes": texts.get(str(e.item.id), {}).get("notes", ""),
                "decision": texts.get(str(e.item.id), {}).get("decision", ""),
                "decided_by": decided_by(e.item),
            }
            for e in meetings.visible_agenda(user, meeting)
        ],
        "revision": revision.number if revision else 0,
        "status": "approved" if minutes.approved_at else "draft",
        "approved_at": iso(minutes.approved_at),
        "approved_by": minutes.approved_by.full_name if minutes.approved_by else None,
        "updated_at": iso(revision.created_at) if revision else None,
        "updated_by": revision.author.full_name if revision and revision.author else None,
    }


# --- the record the system fills in ---------------------------------------------------------


@dataclass
class VoteRecord:
    question: str
    secret: bool
    majority: str
    status: str  # "open" while the session votes, "closed" once decided
    counts: dict[str, int]  # empty while open: running counts are for the chair and the secretariat only
    cast: int
    passed: bool | None
    eligible: int
    quorum_at_open: dict | None  # `Attendance.snapshot()` as it opened
    named: list[tuple[str, str]] = field(default_factory=list)  # (name, choice) for named votes, once closed


@dataclass
class ItemRecord:
    number: str
    item: AgendaItem
    notes: str
    decision: str
    speakers: list[str]
    votes: list[VoteRecord]
    decided_by: str = "discussion"
    # A confidential item in the general minutes: its number keeps its place, everything else is in
    # the confidential annex (`SessionRecord.annex`), for the readers cleared for it.
    sealed: bool = False


@dataclass
class SessionRecord:
    meeting: Meeting
    minutes: Minutes
    summary: str
    present: list[str]
    absent: list[str]
    stand_ins: list[str]
    attendance: meetings.Attendance
    items: list[ItemRecord]
    general_votes: list[VoteRecord]
    # The confidential items this reader is cleared for, in agenda order, with their notes and votes.
    annex: list[ItemRecord] = field(default_factory=list)


def record(user: User, meeting_id: int) -> SessionRecord:
    """The meeting as held, as this reader may read it: every vote taken (open or closed), every item
    in its place, a confidential one sealed in the general part and written out in the annex for
    those cleared for it."""
    meeting, minutes = get(user, meeting_id)
    revision = _effective(minutes)
    texts = revision.entries if revision else {}
    present, absent, stand_ins = [], [], []
    for p in meeting.participants:
        label = f"{p.user.full_name}, {p.user.title}" if p.user.title else p.user.full_name
        if p.stands_in_for is not None:
            stand_ins.append(
                f"Ông/bà {p.user.full_name} dự thay {p.stands_in_for.title or p.stands_in_for.full_name}"
            )
        if meetings.is_present(meeting, p):
            present.append(label)
        elif p.user.has_role("member"):  # absence is recorded for members, not for staff and guests
            absent.append(label)
    taken = db.session.scalars(
        select(Vote).where(Vote.meeting_id == meeting.id, Vote.status != "draft").order_by(Vote.id)
    ).all()
    cleared = {e.item.id for e in meetings.visible_agenda(user, meeting)}

    def item_record(entry: meetings.AgendaEntry) -> ItemRecord:
        turns = sorted(
            (r for r in speakers.speakers(entry.item) if r.state in ("speaking", "done")),
            key=lambda r: r.started_at,
        )
        text = texts.get(str(entry.item.id), {})
        return ItemRecord(
            entry.number,
            entry.item,
            text.get("notes", ""),
            text.get("decision", ""),
            [r.user.full_name for r in turns],  # in the order they had the floor
            [_vote_record(v) for v in taken if v.agenda_item_id == entry.item.id],
            decided_by(entry.item),
        )

    items, annex = [], []
    for entry in meetings.whole_agenda(meeting):
        item = entry.item
        if not access.is_confidential(item):
            items.append(item_record(entry))
            continue
        # One sealed line for a confidential item, none for the sub-items it hides with it.
        if item.parent is None or not access.is_confidential(item.parent):
            items.append(ItemRecord(entry.number, item, "", "", [], [], sealed=True))
        if item.id in cleared:
            annex.append(item_record(entry))
    general = [_vote_record(v) for v in taken if v.agenda_item_id is None]
    return SessionRecord(
        meeting,
        minutes,
        revision.summary if revision else "",
        present,
        absent,
        stand_ins,
        meetings.attendance(meeting),
        items,
        general,
        annex,
    )


def decision_text(item: AgendaItem) -> str:
    """The decision the minutes record on an item (of approved minutes, the frozen text), or ""."""
    minutes = db.session.get(Minutes, item.meeting_id)
    revision = _effective(minutes) if minutes is not None else None
    if revision is None:
        return ""
    return (revision.entries.get(str(item.id), {}).get("decision") or "").strip()


def decided_by(item: AgendaItem) -> str:
    """How the session decided the item: `consent` (adopted in the consent block without discussion),
    `vote` (a vote on it was closed) or `discussion`."""
    if item.consent_adopted_at is not None:
        return "consent"
    closed = db.session.scalar(
        select(Vote.id).where(Vote.agenda_item_id == item.id, Vote.status == "closed").limit(1)
    )
    return "vote" if closed is not None else "discussion"


def _vote_record(vote: Vote) -> VoteRecord:
    closed = vote.status == "closed"
    current = votes.tally(vote)
    return VoteRecord(
        vote.question,
        vote.secret,
        vote.majority,
        vote.status,
        current.counts if closed else {},
        current.cast,
        vote.passed,
        vote.eligible,
        vote.quorum_at_open,
        votes.named_choices(vote) if closed and not vote.secret else [],
    )
