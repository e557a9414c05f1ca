from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecabinet.auth.models import User
from ecabinet.common.time import UTCDateTime, utcnow
from ecabinet.documents.models import Document, DocumentVersion
from ecabinet.extensions import db

KINDS = ("highlight", "underline", "strikeout", "ink", "note", "freetext")


class Annotation(db.Model):
    """A member's mark on one page of one document version; private unless they share it.

    Geometry is in PDF user-space points of the page (origin bottom-left), so it sits right at any
    zoom and can be written into the PDF as a real annotation.
    """

    __tablename__ = "annotations"
    __table_args__ = (
        UniqueConstraint("user_id", "client_id"),
        CheckConstraint(f"kind IN {KINDS!r}", name="known_kind"),
        CheckConstraint("page >= 1", name="page_from_one"),
        Index("ix_annotations_version_user", "version_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("document_versions.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    page: Mapped[int]
    kind: Mapped[str] = mapped_column(String(12))
    rects: Mapped[list | None] = mapped_column(JSON)
    paths: Mapped[list | None] = mapped_column(JSON)
    color: Mapped[str] = mapped_column(String(7))
    text: Mapped[str | None] = mapped_column(Text)
    # The selected words under a text mark, to find the place again in a later version.
    quote: Mapped[str | None] = mapped_column(Text)
    shared: Mapped[bool] = mapped_column(default=False)
    client_id: Mapped[str | None] = mapped_column(String(64))
    # The annotation on the previous version this one was carried from (ecabinet.annotations.carry):
    # the original stays there, so the old version still shows what the member marked on it.
    carried_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("annotations.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    document: Mapped[Document] = relationship(
        backref=db.backref("annotations", cascade="all, delete-orphan", passive_deletes=True)
    )
    version: Mapped[DocumentVersion] = relationship()
    user: Mapped[User] = relationship()


CARRY_STATES = ("queued", "running", "done", "failed")


class NoteCarry(db.Model):
    """Carrying the members' annotations of the previous version onto a new version: a job's progress,
    shown to the secretariat while it runs, and what it came to."""

    __tablename__ = "note_carries"
    __table_args__ = (CheckConstraint(f"status IN {CARRY_STATES!r}", name="known_status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("document_versions.id", ondelete="CASCADE"), unique=True
    )
    from_version_id: Mapped[int] = mapped_column(ForeignKey("document_versions.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(10), default="queued")
    total: Mapped[int] = mapped_column(default=0)  # annotations on the previous version
    done: Mapped[int] = mapped_column(default=0)  # looked at so far
    carried: Mapped[int] = mapped_column(default=0)
    missed: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    version: Mapped[DocumentVersion] = relationship(
        foreign_keys=[version_id],
        # Loaded when asked for (the secretariat's agenda, a document's versions), not with every version:
        # each annotation call loads its version, and the extra query made a save 10 % dearer.
        backref=db.backref("note_carry", uselist=False, cascade="all, delete-orphan", passive_deletes=True),
    )
    from_version: Mapped[DocumentVersion] = relationship(foreign_keys=[from_version_id], lazy="joined")


class CarryMiss(db.Model):
    """An annotation whose text was not found in the new version: it stays on the old one, and its
    author is shown it there."""

    __tablename__ = "carry_misses"

    carry_id: Mapped[int] = mapped_column(ForeignKey("note_carries.id", ondelete="CASCADE"), primary_key=True)
    annotation_id: Mapped[int] = mapped_column(
        ForeignKey("annotations.id", ondelete="CASCADE"), primary_key=True, index=True
    )

    annotation: Mapped[Annotation] = relationship()
