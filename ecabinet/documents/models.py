from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecabinet.auth.models import User
from ecabinet.common.time import UTCDateTime, utcnow
from ecabinet.extensions import db
from ecabinet.meetings.models import AgendaItem

TEXT_STATES = ("pending", "done", "failed")


class StoredFile(db.Model):
    """File content, kept once per SHA-256 under ECABINET_STORAGE, whatever it was called on upload."""

    __tablename__ = "stored_files"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Document(db.Model):
    """A paper of an agenda item (tờ trình, dự thảo, báo cáo); its content lives in its versions."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    agenda_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("agenda_items.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(500))
    # The title without accents, lower case: searched so that "dat dai" finds "Đất đai".
    title_folded: Mapped[str] = mapped_column(String(500))
    position: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    agenda_item: Mapped[AgendaItem | None] = relationship(
        # Loaded with the items, all at once: the agenda, the book and the API list every item's papers.
        backref=db.backref(
            "documents", order_by="Document.position", cascade="all, delete-orphan", lazy="selectin"
        )
    )
    versions: Mapped[list[DocumentVersion]] = relationship(
        back_populates="document",
        cascade="all, delete-orphan",
        order_by="DocumentVersion.number",
        lazy="selectin",
    )
    created_by: Mapped[User | None] = relationship()

    @property
    def latest(self) -> DocumentVersion:
        return self.versions[-1]

    def version(self, number: int | None) -> DocumentVersion | None:
        if number is None:
            return self.latest
        return next((v for v in self.versions if v.number == number), None)


class DocumentVersion(db.Model):
    __tablename__ = "document_versions"
    __table_args__ = (
        UniqueConstraint("document_id", "number"),
        CheckConstraint(f"text_status IN {TEXT_STATES!r}", name="known_text_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    sha256: Mapped[str] = mapped_column(ForeignKey("stored_files.sha256"), index=True)
    size: Mapped[int]
    page_count: Mapped[int]
    # Each page's media box [x0, y0, x1, y1] in PDF points: annotation geometry is checked against it.
    page_boxes: Mapped[list] = mapped_column(JSON, default=list)
    # What the uploader's file was called, cleaned; never used as a path.
    filename: Mapped[str | None] = mapped_column(String(255))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    text_status: Mapped[str] = mapped_column(String(10), default="pending")

    document: Mapped[Document] = relationship(back_populates="versions")
    uploaded_by: Mapped[User | None] = relationship()


class PageText(db.Model):
    """A page's extracted text, and the same folded (no accents, lower case) for search."""

    __tablename__ = "page_texts"
    __table_args__ = (Index("ix_page_texts_version_page", "version_id", "page", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("document_versions.id", ondelete="CASCADE"))
    page: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    folded: Mapped[str] = mapped_column(Text)
