from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ecabinet.common.time import UTCDateTime, utcnow
from ecabinet.extensions import db


class MeetingEvent(db.Model):
    """A live event of one meeting, numbered without gaps; stored with the change that caused it."""

    __tablename__ = "meeting_events"
    __table_args__ = (UniqueConstraint("meeting_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    seq: Mapped[int]
    type: Mapped[str] = mapped_column(String(40))
    # The agenda item the event is about decides who sees its details and who gets it redacted. No
    # foreign key: the event outlives a deleted item, and then the snapshot flag decides.
    agenda_item_id: Mapped[int | None]
    item_confidential: Mapped[bool] = mapped_column(default=False)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    # Added for the secretariat and the chair only (e.g. live counts of an open vote).
    runner_data: Mapped[dict | None] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
