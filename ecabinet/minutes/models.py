from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecabinet.auth.models import User
from ecabinet.common.time import UTCDateTime, utcnow
from ecabinet.extensions import db


class Minutes(db.Model):
    """The minutes of one meeting (biên bản): its revisions, and the approval that freezes them."""

    __tablename__ = "minutes"

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The revision the approval froze; exports of approved minutes are made from it.
    approved_revision: Mapped[int | None]

    revisions: Mapped[list[MinutesRevision]] = relationship(
        cascade="all, delete-orphan", order_by="MinutesRevision.number"
    )
    approved_by: Mapped[User | None] = relationship()

    @property
    def latest(self) -> MinutesRevision | None:
        return self.revisions[-1] if self.revisions else None


class MinutesRevision(db.Model):
    """One saved state of the minutes, never changed afterwards (Indico's EventNoteRevision)."""

    __tablename__ = "minutes_revisions"
    __table_args__ = (UniqueConstraint("meeting_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("minutes.meeting_id", ondelete="CASCADE"))
    number: Mapped[int]
    summary: Mapped[str] = mapped_column(Text, default="")
    # {agenda_item_id (as text): {"notes": str, "decision": str}}
    entries: Mapped[dict] = mapped_column(JSON, default=dict)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User | None] = relationship()
