from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecabinet.auth.models import User
from ecabinet.common.time import UTCDateTime, utcnow
from ecabinet.extensions import db

MEETING_STATUSES = ("draft", "published", "in_progress", "closed")
MEETING_KINDS = ("regular", "thematic", "extraordinary")
# Whose downloads carry the member's name: confidential items' documents only, all, or none.
WATERMARK_POLICIES = ("confidential", "all", "none")


class Meeting(db.Model):
    """A session of the Government (phiên họp): its agenda, participants and live state."""

    __tablename__ = "meetings"
    __table_args__ = (
        CheckConstraint(f"status IN {MEETING_STATUSES!r}", name="known_status"),
        CheckConstraint(f"kind IN {MEETING_KINDS!r}", name="known_kind"),
        CheckConstraint(f"watermark IN {WATERMARK_POLICIES!r}", name="known_watermark"),
        CheckConstraint(
            "quorum_numerator > 0 AND quorum_denominator >= quorum_numerator", name="quorum_fraction"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(20), default="regular")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    location: Mapped[str | None] = mapped_column(String(300))
    chair_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    # Quorum: at least numerator/denominator of the member participants present (default two thirds,
    # as the Government's working regulation requires).
    quorum_numerator: Mapped[int] = mapped_column(default=2)
    quorum_denominator: Mapped[int] = mapped_column(default=3)
    watermark: Mapped[str] = mapped_column(String(20), default="confidential")
    # Off by default: members taking part from elsewhere vote from anywhere.
    require_checkin_to_vote: Mapped[bool] = mapped_column(default=False)
    # What the presenter shows; tablets that follow the presenter turn to it (and find it on joining).
    presenter_document_id: Mapped[int | None]
    presenter_version: Mapped[int | None]
    presenter_page: Mapped[int | None]
    current_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("agenda_items.id", ondelete="SET NULL", use_alter=True)
    )
    # The last live-event number handed out; bumped with the event in the same transaction.
    last_event_seq: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The quorum as the session opened ({quorum, members_present, members, required}): a session may be
    # opened without one (after the chair confirms), and the minutes say so.
    quorum_at_start: Mapped[dict | None] = mapped_column(JSON)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Days after closing that members' private annotations are kept (`retention`); unset: the
    # office's default, ECABINET_RETENTION_DAYS, as it stands when they are destroyed.
    retention_days: Mapped[int | None]
    # Whether members see each other's positions before the session (the chair and the secretariat always
    # do); off by default, so that a member states their own view, not the room's.
    positions_visible: Mapped[bool] = mapped_column(default=False)
    # When the chair adopted the consent block: once per session.
    consent_adopted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    chair: Mapped[User | None] = relationship(foreign_keys=[chair_id])
    participants: Mapped[list[Participant]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="Participant.id"
    )
    items: Mapped[list[AgendaItem]] = relationship(
        back_populates="meeting",
        cascade="all, delete-orphan",
        foreign_keys="AgendaItem.meeting_id",
        order_by="AgendaItem.position",
    )


class Participant(db.Model):
    """A user invited to a meeting, and whether they have checked in."""

    __tablename__ = "participants"
    __table_args__ = (UniqueConstraint("meeting_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    present: Mapped[bool] = mapped_column(default=False)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Attending in place of a member (dự thay): the member it stands in for.
    stands_in_for_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # For a participant holding the clerk role: cleared for the meeting's confidential items. The clerk
    # keeps the whole record, the confidential annex of the minutes included, so they are cleared by
    # default; the secretariat may withdraw it for one meeting (then only `restricted_to` clears them,
    # as anyone else). Meaningless for other participants.
    clerk_cleared: Mapped[bool] = mapped_column(default=True)

    meeting: Mapped[Meeting] = relationship(back_populates="participants")
    user: Mapped[User] = relationship(lazy="joined", foreign_keys=[user_id])
    stands_in_for: Mapped[User | None] = relationship(foreign_keys=[stands_in_for_id])


class AgendaItem(db.Model):
    """A point on the agenda; items nest (parent_id) and are ordered among their siblings."""

    __tablename__ = "agenda_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("agenda_items.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    presenter: Mapped[str | None] = mapped_column(String(300))
    duration_minutes: Mapped[int | None]
    confidential: Mapped[bool] = mapped_column(default=False)
    # In the consent block: adopted without discussion with the others, unless taken out before.
    consent: Mapped[bool] = mapped_column(default=False)
    # Set when the block it was in was adopted: the record says it was decided without discussion.
    consent_adopted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    meeting: Mapped[Meeting] = relationship(back_populates="items", foreign_keys=[meeting_id])
    parent: Mapped[AgendaItem | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[AgendaItem]] = relationship(
        back_populates="parent", cascade="all, delete-orphan", order_by="AgendaItem.position"
    )
    access_rows: Mapped[list[AgendaItemAccess]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def restricted_to(self) -> list[int]:
        return sorted(a.user_id for a in self.access_rows)


class AgendaItemAccess(db.Model):
    """Who, beyond the secretariat and the chair, may see a confidential item."""

    __tablename__ = "agenda_item_access"

    item_id: Mapped[int] = mapped_column(ForeignKey("agenda_items.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
