"""Casting a vote: who may (asked at the API's gate, as every route's permission is), and how the casts
of a whole cabinet voting within one second are written.

Group commit (`common.batching`), here and nowhere else in votes: a cast request, once the gate has
checked its caller, hands its cast to the process's cast writer and waits; the writer takes every cast
waiting, checks each under the vote's lock, writes them in one transaction — one audit chain update,
one `vote.progress` per vote — commits, and answers each on its own. When 500 members cast within one
second (bench/vote_storm.py: nothing lost or doubled, p99 ≤ 100 ms), a transaction per cast spent its
time taking the write lock, chaining the audit log and committing rather than counting: p99 4.3 s
before group commit, about 0.3 s after (501b281, bench/HISTORY.md).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import contains_eager

from ecabinet.audit import service as audit
from ecabinet.auth.models import User
from ecabinet.common import batching
from ecabinet.errors import Conflict, DomainError, Invalid, NotFound
from ecabinet.extensions import db
from ecabinet.meetings import events
from ecabinet.votes import service as votes
from ecabinet.votes import voters
from ecabinet.votes.models import Vote, VoteParticipation, VoteTally

_VOTE = (
    select(Vote).join(Vote.meeting).options(contains_eager(Vote.meeting)).where(Vote.id == bindparam("vote"))
)
_INSERT_PARTICIPATIONS = insert(VoteParticipation.__table__)
_TALLIES = VoteTally.__table__
_ADD_TO_TALLY = (
    update(_TALLIES)
    .where(_TALLIES.c.vote_id == bindparam("vote"), _TALLIES.c.choice == bindparam("option"))
    .values(count=_TALLIES.c.count + bindparam("added"))
)


def may_cast(user: User, vote_id: int) -> None:
    """For the API's gate: whether the caller votes in this vote at all, whatever its state and their
    choice (the rule: `voters.may_cast`)."""
    voters.may_cast(user, *voters.caller(user, vote_id))


@dataclass(frozen=True)
class Cast:
    vote_id: int
    # The caller as the gate loaded them, roles included: the writer reads their id and roles.
    user: User
    choice: str
    client_id: str | None = None


@dataclass
class Recorded:
    """A cast's answer: the vote as its member now sees it, and whether this request recorded the cast
    (False: the same cast came again, a retry after its answer was lost)."""

    vote: dict
    new: bool = True


@dataclass(frozen=True)
class _Earlier:
    """A member's cast already recorded: the tablet's id for it and, for a named vote, the choice."""

    client_id: str | None
    choice: str | None


def cast(user: User, vote_id: int, choice: str, client_id: str | None = None) -> Recorded:
    """Record one member's vote (once, final); the vote as they now see it. Written and committed by
    the cast writer, with the other casts arriving at the same moment, before this returns.

    The same `client_id` again from the same member is their cast retried after the answer was lost
    (the server stopped after the commit, the network dropped the reply): it is answered with the cast
    already recorded, never counted twice, and not refused as if someone else had voted for them."""
    return batching.writer_for("votes.cast", record_casts).write(Cast(vote_id, user, choice, client_id))


def record_casts(casts: Sequence[Cast]) -> list[Recorded | DomainError]:
    """The cast writer's handler: per cast, the vote as its member now sees it, or why it was refused."""
    results: list[Recorded | DomainError] = [NotFound() for _ in casts]
    by_vote: dict[int, list[tuple[int, Cast]]] = {}
    for n, c in enumerate(casts):
        by_vote.setdefault(c.vote_id, []).append((n, c))
    for vote_id in sorted(by_vote):  # votes in id order, so that two writers never lock crosswise
        _record_casts_of_vote(vote_id, by_vote[vote_id], results)
    return results


def _record_casts_of_vote(vote_id: int, casts: list[tuple[int, Cast]], results: list) -> None:
    vote = votes.locked(vote_id, shared=True)
    if vote is None:
        for n, _ in casts:
            results[n] = NotFound(f"Vote {vote_id} not found")
        return
    ballot = voters.Ballot.of(vote)
    facts = voters.casters(vote, [c.user.id for _, c in casts])
    voted = {
        user_id: _Earlier(caster.client_id, caster.choice)
        for user_id, caster in facts.items()
        if caster.has_voted
    }
    accepted, retried = [], []
    for n, c in casts:
        earlier = voted.get(c.user.id)
        try:
            # Asked again: the gate asked in another transaction, and the facts may have changed since.
            caster = facts.get(c.user.id)
            voters.may_cast(c.user, ballot, caster.holds_a_vote if caster else None)
            _check_cast(vote, c, caster.present, earlier)
        except DomainError as refused:
            results[n] = refused
            continue
        if earlier is not None:  # the same cast again
            retried.append((n, c.user, earlier))
            continue
        # A second device's cast in the same batch is a second vote; the same cast sent twice is not.
        voted[c.user.id] = _Earlier(c.client_id, None if vote.secret else c.choice)
        accepted.append((n, c))
    if not accepted and not retried:
        return
    current = _record_accepted(vote, [c for _, c in accepted]) if accepted else votes.tally(vote)
    for n, c in accepted:
        results[n] = Recorded(votes.serialize(c.user, vote, current, voted=True))
    for n, user, earlier in retried:
        results[n] = Recorded(
            _with_choice(votes.serialize(user, vote, current, voted=True), earlier), new=False
        )


def _check_cast(vote: Vote, c: Cast, present: bool, earlier: _Earlier | None) -> None:
    """Refuses the cast of a member who votes with the reason; returns when it is to be recorded or is
    the recorded one again."""
    if earlier is not None and c.client_id is not None and earlier.client_id == c.client_id:
        return  # recorded already, whether or not the vote has closed since
    if vote.status != "open":
        raise Conflict(f"The vote is {vote.status}, not open", code="vote_not_open")
    if c.choice not in vote.options:
        raise Invalid(
            f"Unknown choice {c.choice!r}; one of {', '.join(vote.options)}",
            code="unknown_choice",
            fields=["choice"],
        )
    # The chair counts as present while chairing (`meetings.is_present`): a vote is open only in session.
    if vote.meeting.require_checkin_to_vote and not (present or c.user.id == vote.meeting.chair_id):
        raise Conflict("Check in to the meeting before voting", code="not_checked_in")
    if earlier is not None:
        raise Conflict("You have already voted", code="already_voted")


def _with_choice(vote: dict, earlier: _Earlier) -> dict:
    """A named vote's answer to a retried cast names the choice recorded; a secret vote's cannot."""
    return vote if earlier.choice is None else {**vote, "choice": earlier.choice}


def _record_accepted(vote: Vote, accepted: list[Cast]) -> votes.Tally:
    """Count the casts, log them and tell the tablets; the tally now."""
    connection = db.session.connection()
    # The primary key (vote, member) refuses a second row even if another process wrote one meanwhile.
    connection.execute(
        _INSERT_PARTICIPATIONS,
        [
            {
                "vote_id": vote.id,
                "user_id": c.user.id,
                "choice": None if vote.secret else c.choice,
                "client_id": c.client_id,
            }
            for c in accepted
        ],
    )
    added = Counter(c.choice for c in accepted)
    connection.execute(
        _ADD_TO_TALLY, [{"vote": vote.id, "option": choice, "added": n} for choice, n in added.items()]
    )
    for c in accepted:
        # A secret vote's log line says who voted, never how.
        audit.record(c.user, "vote.cast", ("votes", vote.id), {} if vote.secret else {"choice": c.choice})
    current = votes.tally(vote)
    events.publish(
        vote.meeting,
        "vote.progress",
        {"vote_id": vote.id, "cast": current.cast, "eligible": vote.eligible},
        vote.agenda_item,
        runner_data={"counts": current.counts},
        # Stored beside the audit log's times of casting, a secret vote's running counts would tie
        # members to choices: the runners get them live only.
        store_runner_data=not vote.secret,
    )
    return current
