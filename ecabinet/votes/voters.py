"""Who votes in a vote: one rule, as `meetings/access.py` keeps one function per question.

A member votes who takes part in the meeting, has an active account holding the member role
(observers, clerks and stand-ins without it speak but do not vote) and may see what the vote is
about — on a confidential item, only those cleared for it, or no majority could ever be reached.

The rule (`may_cast`) is asked at the API's gate for one caller (`casting.may_cast`), by the cast
writer for each cast of its batch (the facts may have changed since the gate), and counted over the
meeting when the vote opens (`count_eligible`); the facts it is asked of come from here too.
"""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import and_, bindparam, exists, func, select

from ecabinet.auth.models import User, UserRole
from ecabinet.errors import Forbidden, NotFound
from ecabinet.extensions import db
from ecabinet.meetings import access
from ecabinet.meetings.models import AgendaItem, Meeting, Participant
from ecabinet.votes.models import Vote, VoteParticipation

# The account's half of the rule, asked of the database: so that counting a meeting of hundreds does
# not load their accounts (at 100 tablets that load was 5 ms of the open-vote call), and so that the
# facts of a whole batch of casters come in one query.
_HOLDS_A_VOTE = and_(User.active, exists().where(UserRole.user_id == User.id, UserRole.role == "member"))


class Ballot(NamedTuple):
    """What the rule needs to know of the vote."""

    vote_id: int
    meeting_status: str
    agenda_item_id: int | None

    @classmethod
    def of(cls, vote: Vote) -> Ballot:
        return cls(vote.id, vote.meeting.status, vote.agenda_item_id)


class Caster(NamedTuple):
    """What the rule and the cast need to know of one participant (not taking part: no facts at all)."""

    user_id: int
    holds_a_vote: bool
    present: bool
    # Their cast already recorded, if any: the tablet's id for it and, for a named vote, the choice.
    has_voted: bool
    client_id: str | None
    choice: str | None


# The vote and one caller's half of the rule, for the gate: one statement and no ORM objects, on the
# path of every cast when a whole cabinet votes within a second.
_CALLER = (
    select(Meeting.status, Vote.agenda_item_id, Participant.user_id.is_not(None), _HOLDS_A_VOTE)
    .select_from(Vote)
    .join(Meeting, Meeting.id == Vote.meeting_id)
    .outerjoin(
        Participant, and_(Participant.meeting_id == Vote.meeting_id, Participant.user_id == bindparam("user"))
    )
    .outerjoin(User, User.id == Participant.user_id)
    .where(Vote.id == bindparam("vote"))
)
_CASTERS = (
    select(
        Participant.user_id,
        _HOLDS_A_VOTE,
        Participant.present,
        VoteParticipation.user_id.is_not(None),
        VoteParticipation.client_id,
        VoteParticipation.choice,
    )
    .join(User, User.id == Participant.user_id)
    .outerjoin(
        VoteParticipation,
        and_(
            VoteParticipation.vote_id == bindparam("vote"), VoteParticipation.user_id == Participant.user_id
        ),
    )
    .where(
        Participant.meeting_id == bindparam("meeting"),
        Participant.user_id.in_(bindparam("members", expanding=True)),
    )
)
_OF_THE_MEETING = (Participant.meeting_id == bindparam("meeting"), _HOLDS_A_VOTE)
_VOTERS = select(User).join(Participant, Participant.user_id == User.id).where(*_OF_THE_MEETING)
_COUNT_VOTERS = (
    select(func.count())
    .select_from(Participant)
    .join(User, User.id == Participant.user_id)
    .where(*_OF_THE_MEETING)
)


def casters(vote: Vote, user_ids: list[int]) -> dict[int, Caster]:
    """The facts of these members about this vote, by member; those not taking part are left out."""
    found = db.session.connection().execute(
        _CASTERS, {"vote": vote.id, "meeting": vote.meeting_id, "members": user_ids}
    )
    return {row[0]: Caster(*row) for row in found}


def caller(user: User, vote_id: int) -> tuple[Ballot, bool | None]:
    """The vote's and one caller's facts for the rule, as the API's gate asks it (`casting.may_cast`)."""
    found = db.session.connection().execute(_CALLER, {"vote": vote_id, "user": user.id}).one_or_none()
    if found is None:
        raise NotFound(f"Vote {vote_id} not found")
    meeting_status, agenda_item_id, taking_part, holds_a_vote = found
    return Ballot(vote_id, meeting_status, agenda_item_id), bool(holds_a_vote) if taking_part else None


def may_cast(user: User, ballot: Ballot, holds_a_vote: bool | None) -> None:
    """The rule: returns if `user` votes in the ballot, whatever its state and their choice; raises why
    not. `holds_a_vote` is None for a user not taking part in the meeting."""
    if holds_a_vote is None:
        # The contract answers 403 to a non-participant, whether or not they could see the meeting.
        raise Forbidden("Only the meeting's members vote")
    if ballot.meeting_status == "draft" or not _cleared(user, ballot.agenda_item_id):
        raise NotFound(f"Vote {ballot.vote_id} not found")
    if not holds_a_vote:
        raise Forbidden("Only the members taking part in the meeting vote")


def _cleared(user: User, agenda_item_id: int | None) -> bool:
    return agenda_item_id is None or access.cleared_for_item(user, db.session.get(AgendaItem, agenda_item_id))


def count_eligible(vote: Vote) -> int:
    """How many members the rule lets vote (the meeting in session, as a vote opens only then)."""
    meeting = {"meeting": vote.meeting_id}
    if vote.agenda_item is None or not access.is_confidential(vote.agenda_item):
        return db.session.scalar(_COUNT_VOTERS, meeting)  # everyone taking part may see the item
    return sum(1 for user in db.session.scalars(_VOTERS, meeting) if _cleared(user, vote.agenda_item_id))
