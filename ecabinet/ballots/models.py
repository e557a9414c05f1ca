from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecabinet.auth.models import User
from ecabinet.common.time import UTCDateTime, utcnow
from ecabinet.documents.models import Document
from ecabinet.extensions import db

BALLOT_STATUSES = ("draft", "sent", "closed")
CHOICES = ("agree", "disagree", "other")


class OpinionBallot(db.Model):
    """A written-opinion ballot (phiếu lấy ý kiến thành viên Chính phủ) sent between sessions."""

    __tablename__ = "opinion_ballots"
    __table_args__ = (CheckConstraint(f"status IN {BALLOT_STATUSES!r}", name="known_status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    summary: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="draft")
    deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    silence_is_consent: Mapped[bool] = mapped_column(default=False)
    # Whose answer decides a tie (the Prime Minister's, by the Government's working rules).
    chair_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    questions: Mapped[list[BallotQuestion]] = relationship(
        back_populates="ballot", cascade="all, delete-orphan", order_by="BallotQuestion.position"
    )
    recipients: Mapped[list[BallotRecipient]] = relationship(
        cascade="all, delete-orphan", order_by="BallotRecipient.user_id"
    )
    document_links: Mapped[list[BallotDocument]] = relationship(
        cascade="all, delete-orphan", order_by="BallotDocument.position"
    )
    chair: Mapped[User | None] = relationship(foreign_keys=[chair_id])

    @property
    def documents(self) -> list[Document]:
        return [link.document for link in self.document_links]


class BallotQuestion(db.Model):
    __tablename__ = "ballot_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    ballot_id: Mapped[int] = mapped_column(ForeignKey("opinion_ballots.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    text: Mapped[str] = mapped_column(Text)

    ballot: Mapped[OpinionBallot] = relationship(back_populates="questions")


class BallotRecipient(db.Model):
    __tablename__ = "ballot_recipients"

    ballot_id: Mapped[int] = mapped_column(
        ForeignKey("opinion_ballots.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminders: Mapped[int] = mapped_column(default=0)

    user: Mapped[User] = relationship(lazy="joined")


class BallotDocument(db.Model):
    """A paper the members answer on: uploaded to the ballot, or a meeting's document attached."""

    __tablename__ = "ballot_documents"

    ballot_id: Mapped[int] = mapped_column(
        ForeignKey("opinion_ballots.id", ondelete="CASCADE"), primary_key=True
    )
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(default=0)

    document: Mapped[Document] = relationship(lazy="joined")


class BallotAnswer(db.Model):
    """A member's answer to one question; one per member and question, changeable until the close."""

    __tablename__ = "ballot_answers"
    __table_args__ = (
        UniqueConstraint("question_id", "user_id"),
        CheckConstraint(f"choice IN {CHOICES!r}", name="known_choice"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ballot_id: Mapped[int] = mapped_column(ForeignKey("opinion_ballots.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("ballot_questions.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    choice: Mapped[str] = mapped_column(String(10))
    comment: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # What the answer was given on: the question's text and the attached documents' versions.
    basis: Mapped[str] = mapped_column(String(64))

    user: Mapped[User] = relationship(lazy="joined")


class BallotResponseReceipt(db.Model):
    """A response sent with a `client_id` (made on the tablet): when the same one comes again — a
    tablet's outbox sending after a lost answer — the answers stored since stand, and the retry is
    answered with them instead of being applied again over a newer answer or refused once closed."""

    __tablename__ = "ballot_response_receipts"
    __table_args__ = (UniqueConstraint("user_id", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ballot_id: Mapped[int] = mapped_column(ForeignKey("opinion_ballots.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    client_id: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
