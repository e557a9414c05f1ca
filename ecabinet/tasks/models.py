from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecabinet.auth.models import Organization, User
from ecabinet.common.time import UTCDateTime, utcnow
from ecabinet.documents.models import Document
from ecabinet.extensions import db
from ecabinet.meetings.models import Meeting

# The stored steps; `overdue` is not one of them: the server's clock decides it when a task is read.
STATUSES = ("assigned", "in_progress", "reported", "done")
EXTENSION_STATES = ("pending", "granted", "refused")

task_cooperating = Table(
    "task_cooperating_organizations",
    db.metadata,
    Column("task_id", ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True),
    Column("organization_id", ForeignKey("organizations.id"), primary_key=True),
)


class Task(db.Model):
    """A task a decision assigned to a ministry (nhiệm vụ giao tại kết luận): who leads it, who helps,
    by when, and where it was decided — an agenda item's decision or a ballot's outcome."""

    __tablename__ = "tasks"
    __table_args__ = (
        CheckConstraint(f"status IN {STATUSES!r}", name="known_status"),
        # One source at most: a decision of a session, or of a ballot between sessions.
        CheckConstraint("agenda_item_id IS NULL OR ballot_id IS NULL", name="one_source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="assigned")
    lead_organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    deadline: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="SET NULL"), index=True)
    agenda_item_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_items.id", ondelete="SET NULL"))
    ballot_id: Mapped[int | None] = mapped_column(ForeignKey("opinion_ballots.id", ondelete="SET NULL"))
    # The decision as it read when the task was given: the minutes may be edited until approved.
    decision: Mapped[str | None] = mapped_column(Text)
    report: Mapped[str | None] = mapped_column(Text)
    report_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the reminders went out: the command runs from cron and must not repeat them at every run.
    reminded_before_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_after_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    lead_organization: Mapped[Organization] = relationship(lazy="joined")
    cooperating: Mapped[list[Organization]] = relationship(
        secondary=task_cooperating, order_by=Organization.name, lazy="selectin"
    )
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    meeting: Mapped[Meeting | None] = relationship()
    report_document: Mapped[Document | None] = relationship()
    extensions: Mapped[list[TaskExtension]] = relationship(
        back_populates="task", cascade="all, delete-orphan", order_by="TaskExtension.id", lazy="selectin"
    )

    def shown_status(self, now: datetime) -> str:
        """The status as the API gives it: `overdue` once the deadline has passed with the work unreported."""
        if self.status in ("assigned", "in_progress") and self.deadline <= now:
            return "overdue"
        return self.status

    @property
    def pending_extension(self) -> TaskExtension | None:
        return next((e for e in self.extensions if e.status == "pending"), None)


class TaskExtension(db.Model):
    """A ministry's request for a later deadline (xin gia hạn), and the secretariat's answer."""

    __tablename__ = "task_extensions"
    __table_args__ = (CheckConstraint(f"status IN {EXTENSION_STATES!r}", name="known_status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    # The deadline when asked, so the record shows what was extended, after the grant has moved it.
    previous_deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    task: Mapped[Task] = relationship(back_populates="extensions")
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])
    answered_by: Mapped[User | None] = relationship(foreign_keys=[answered_by_id])
