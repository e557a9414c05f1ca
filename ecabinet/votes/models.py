from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecabinet.common.time import UTCDateTime, utcnow
from ecabinet.extensions import db
from ecabinet.meetings.models import AgendaItem, Meeting

VOTE_STATUSES = ("draft", "open", "closed")
MAJORITY_RULES = ("simple", "absolute", "two_thirds")


class Vote(db.Model):
    """A question put to the members present in a meeting (biểu quyết)."""

    __tablename__ = "votes"
    __table_args__ = (
        CheckConstraint(f"status IN {VOTE_STATUSES!r}", name="known_status"),
        CheckConstraint(f"majority IN {MAJORITY_RULES!r}", name="known_majority"),
        # At most one open vote per meeting, decided by the database when two are opened at once.
        Index(
            "uq_votes_one_open_per_meeting",
            "meeting_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    agenda_item_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_items.id", ondelete="SET NULL"))
    question: Mapped[str] = mapped_column(Text)
    secret: Mapped[bool] = mapped_column(default=False)
    options: Mapped[list] = mapped_column(JSON)
    # Vietnamese Government rule by default: more than half of all eligible members vote yes.
    majority: Mapped[str] = mapped_column(String(12), default="absolute")
    chair_breaks_tie: Mapped[bool] = mapped_column(default=True)
    status: Mapped[str] = mapped_column(String(10), default="draft")
    # Fixed when the vote opens, so that later changes of participants do not move the threshold.
    eligible: Mapped[int] = mapped_column(default=0)
    passed: Mapped[bool | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The quorum as the vote opened (as `Meeting.quorum_at_start`): a vote may open without one.
    quorum_at_open: Mapped[dict | None] = mapped_column(JSON)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    meeting: Mapped[Meeting] = relationship()
    agenda_item: Mapped[AgendaItem | None] = relationship()
    tallies: Mapped[list[VoteTally]] = relationship(
        cascade="all, delete-orphan", order_by="VoteTally.position"
    )


class VoteParticipation(db.Model):
    """That a member has voted: one row per member and vote, the database's guard against a second vote.

    `choice` is filled only for named votes. A secret vote's row says who voted and nothing else, and
    carries no time or order that could be matched against the tallies. `client_id`, made by the
    member's tablet for the cast, lets a cast retried after a lost answer be told from a second vote;
    it is random and says nothing about the choice.
    """

    __tablename__ = "vote_participations"

    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    choice: Mapped[str | None] = mapped_column(String(40))
    client_id: Mapped[str | None] = mapped_column(String(64))


class VoteTally(db.Model):
    """How many chose each option."""

    __tablename__ = "vote_tallies"

    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id", ondelete="CASCADE"), primary_key=True)
    choice: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[int]
    count: Mapped[int] = mapped_column(default=0)
