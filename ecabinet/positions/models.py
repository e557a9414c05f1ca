from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ecabinet.common.time import UTCDateTime, utcnow
from ecabinet.extensions import db

POSITIONS = ("no_objection", "object", "wish_to_speak")


class Position(db.Model):
    """A member's position on an agenda item before the session (ý kiến trước phiên họp)."""

    __tablename__ = "positions"
    __table_args__ = (
        CheckConstraint(f"position IN {POSITIONS!r}", name="known_position"),
        # One position per member and item: stating it again replaces it.
        UniqueConstraint("agenda_item_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agenda_item_id: Mapped[int] = mapped_column(ForeignKey("agenda_items.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    position: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
