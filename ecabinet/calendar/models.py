from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ecabinet.common.time import UTCDateTime, utcnow
from ecabinet.extensions import db


class CalendarFeed(db.Model):
    """A user's feed address. The secret in it is derived from `nonce` and the app's SECRET_KEY
    (`service.secret_for`), so the user's page can show it again; only its SHA-256 is kept for the
    lookup, so a copy of the database alone opens no one's calendar. Renewing draws a new nonce."""

    __tablename__ = "calendar_feeds"
    __table_args__ = (UniqueConstraint("secret_hash"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64))
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
