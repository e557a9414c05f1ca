from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecabinet.auth.models import User
from ecabinet.common.time import UTCDateTime, utcnow
from ecabinet.extensions import db

SPEAKER_STATES = ("waiting", "speaking", "done")


class SpeakerRequest(db.Model):
    """A request for the floor on an agenda item (đăng ký phát biểu), and what became of it."""

    __tablename__ = "speaker_requests"
    __table_args__ = (
        CheckConstraint(f"state IN {SPEAKER_STATES!r}", name="known_state"),
        # One open request per member and item: asking twice keeps one place in the queue.
        Index(
            "uq_speaker_requests_open",
            "agenda_item_id",
            "user_id",
            unique=True,
            sqlite_where=text("state != 'done'"),
            postgresql_where=text("state != 'done'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agenda_item_id: Mapped[int] = mapped_column(ForeignKey("agenda_items.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    state: Mapped[str] = mapped_column(String(10), default="waiting")
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined")
