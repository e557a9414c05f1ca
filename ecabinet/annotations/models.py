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
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    document: Mapped[Document] = relationship(
        backref=db.backref("annotations", cascade="all, delete-orphan", passive_deletes=True)
    )
    version: Mapped[DocumentVersion] = relationship()
    user: Mapped[User] = relationship()
