"""Retention: members' private annotations on a meeting's documents are kept for the meeting's
`retention_days` after it closes, then destroyed by `flask --app ecabinet retention apply`; a legal
hold keeps everything of a meeting while it lasts.

Its own domain rather than part of annotations: the rule is about a meeting's records and who may keep
them (the administrator's hold), and annotations are only the first record it destroys.
Shared annotations stay: the other participants saw them, and they are part of the meeting's record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, select

from ecabinet.annotations.models import Annotation
from ecabinet.audit import service as audit
from ecabinet.auth.models import User
from ecabinet.common.time import utcnow
from ecabinet.documents.models import Document
from ecabinet.errors import Conflict, Forbidden, Invalid, NotFound
from ecabinet.extensions import db
from ecabinet.meetings.models import AgendaItem, Meeting
from ecabinet.retention.models import LegalHold


def retention_days(meeting: Meeting) -> int:
    """The meeting's own days, else the office's default."""
    if meeting.retention_days is not None:
        return meeting.retention_days
    return current_app.config["ECABINET_RETENTION_DAYS"]


def notes_destroyed_at(meeting: Meeting) -> datetime | None:
    """When the members' private notes on the meeting go: unknown until it closes, never while held."""
    if meeting.closed_at is None or meeting.legal_hold is not None:
        return None
    return meeting.closed_at + timedelta(days=retention_days(meeting))


# --- legal hold ------------------------------------------------------------------------------


def held_meeting(user: User, meeting_id: int) -> Meeting:
    """For `may`: the meeting, for the administrator to hold or release. Anyone else is refused
    whatever the id, so that the answer says nothing of which meetings exist."""
    may_hold(user)
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound(f"Meeting {meeting_id} not found")
    return meeting


def may_hold(user: User) -> None:
    if not user.has_role("admin"):
        raise Forbidden("Only an administrator places or lifts a legal hold")


def meetings_to_keep(user: User) -> list[Meeting]:
    """Every meeting, latest first, for the administrator to hold or release: they need not be able to
    open a meeting (its agenda, its papers) to keep its records."""
    may_hold(user)
    return list(db.session.scalars(select(Meeting).order_by(Meeting.starts_at.desc(), Meeting.id.desc())))


def hold(user: User, meeting_id: int, reason: str) -> Meeting:
    meeting = held_meeting(user, meeting_id)
    reason = reason.strip()
    if not reason:
        raise Invalid("Say why the meeting is held", fields=["reason"])
    if meeting.legal_hold is not None:
        raise Conflict("The meeting is already held", code="already_held")
    meeting.legal_hold = LegalHold(reason=reason, held_by=user)
    audit.record(user, "meeting.hold", meeting, {"reason": reason})
    return meeting


def release(user: User, meeting_id: int) -> Meeting:
    meeting = held_meeting(user, meeting_id)
    if meeting.legal_hold is None:
        raise Conflict("The meeting is not held", code="not_held")
    # The hold's reason goes into the audit entry: the row goes, the record of why it was there stays.
    audit.record(user, "meeting.release", meeting, {"reason": meeting.legal_hold.reason})
    meeting.legal_hold = None
    return meeting


# --- destroying ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Destroyed:
    """What one run destroyed of one meeting: how many private annotations, of whom."""

    meeting: Meeting
    by_user: dict[int, int]  # user id → annotations destroyed

    @property
    def total(self) -> int:
        return sum(self.by_user.values())


def apply(now: datetime | None = None) -> list[Destroyed]:
    """Destroy the private annotations of every closed, unheld meeting past its retention, and record
    for each meeting how many were destroyed and whose (never what they said). Run by the command line
    with the server's own authority; a meeting with nothing left to destroy is skipped silently."""
    now = now or utcnow()
    closed = db.session.scalars(
        select(Meeting).where(Meeting.closed_at.is_not(None), ~Meeting.legal_hold.has())
    )
    done = []
    for meeting in closed:
        if notes_destroyed_at(meeting) > now:
            continue
        private = (
            Annotation.shared.is_(False),
            Annotation.document_id.in_(
                select(Document.id).join(AgendaItem).where(AgendaItem.meeting_id == meeting.id)
            ),
        )
        by_user = dict(
            db.session.execute(
                select(Annotation.user_id, func.count()).where(*private).group_by(Annotation.user_id)
            ).all()
        )
        if not by_user:
            continue
        db.session.execute(
            delete(Annotation).where(*private), execution_options={"synchronize_session": False}
        )
        destroyed = Destroyed(meeting, by_user)
        audit.record(
            None,
            "retention.destroy",
            meeting,
            {
                "private_annotations": destroyed.total,
                "by_user": {str(user_id): count for user_id, count in sorted(by_user.items())},
                "retention_days": retention_days(meeting),
            },
        )
        done.append(destroyed)
    return done
