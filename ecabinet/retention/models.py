from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecabinet.auth.models import User
from ecabinet.common.time import UTCDateTime, utcnow
from ecabinet.extensions import db
from ecabinet.meetings.models import Meeting


class LegalHold(db.Model):
    """A meeting whose records the administrator keeps whatever its retention says (an inquiry, a
    lawsuit): nothing of it is destroyed while the row exists. One row per held meeting; its history
    (who held and released it, and why) is in the audit log."""

    __tablename__ = "legal_holds"

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    held_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    held_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    meeting: Mapped[Meeting] = relationship(
        backref=db.backref("legal_hold", uselist=False, cascade="all, delete-orphan", passive_deletes=True)
    )
    held_by: Mapped[User | None] = relationship()
