"""Live votes in a meeting: put a question, open, close and decide by the majority rule (who votes:
`voters`; casting, written in batches: `casting`)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager
from sqlalchemy.orm.attributes import set_committed_value

from ecabinet.audit import service as audit
from ecabinet.auth.models import User
from ecabinet.common import unit_of_work
from ecabinet.common.time import utcnow
from ecabinet.errors import Conflict, Forbidden, Invalid, NotFound
from ecabinet.extensions import db
from ecabinet.meetings import access, events
from ecabinet.meetings import service as meetings
from ecabinet.meetings.models import AgendaItem, Meeting
from ecabinet.votes import voters
from ecabinet.votes.models import Vote, VoteParticipation, VoteTally

DEFAULT_OPTIONS = ["yes", "no", "abstain"]


def get_vote(user: User, vote_id: int) -> Vote:
    vote = db.session.get(Vote, vote_id)
    if vote is None or not _may_see(user, vote):
        raise NotFound(f"Vote {vote_id} not found")
    return vote


def _may_see(user: User, vote: Vote) -> bool:
    if vote.agenda_item is not None and not access.can_see_item(user, vote.agenda_item):
        return False
    if not access.can_see_meeting(user, vote.meeting):
        return False
    return vote.status != "draft" or access.can_run_meeting(user, vote.meeting)


def locked(vote_id: int, shared: bool = False) -> Vote | None:
    """The vote and its meeting, read afresh with the vote's row locked: casts take the lock shared
    (they go on side by side), opening and closing take it alone, so that no cast slips in after a
    close. (SQLite has no row locks; there every writing transaction holds the database's lock.)"""
    return db.session.execute(_LOCK_VOTE[shared], {"vote": vote_id}).scalar_one_or_none()


# Built once: each cast and each open or close runs them, and building them cost more than running them.
_LOCK_VOTE = {
    shared: select(Vote)
    .join(Vote.meeting)
    .options(contains_eager(Vote.meeting))
    .where(Vote.id == bindparam("vote"))
    .with_for_update(read=shared, of=Vote)
    .execution_options(populate_existing=True)
    for shared in (False, True)
}
_TALLY = (
    select(VoteTally.choice, VoteTally.count)
    .where(VoteTally.vote_id == bindparam("vote"))
    .order_by(VoteTally.position)
)


def _change(vote: Vote, **values) -> None:
    """Open or close the locked vote: its columns written by one statement built once, not by the ORM's
    flush (a fifth of an open-vote call, while every tablet waits for its event), and
    set on the loaded vote as written."""
    db.session.connection().execute(_update_of(tuple(values)), {"vote_id": vote.id, **values})
    for name, value in values.items():
        set_committed_value(vote, name, value)


@cache
def _update_of(columns: tuple[str, ...]):
    votes = Vote.__table__
    return update(votes).where(votes.c.id == bindparam("vote_id")).values({c: bindparam(c) for c in columns})


@unit_of_work.once_per_transaction
def runnable_vote(user: User, vote_id: int) -> Vote:
    """The vote, locked, if the caller may open or close it. Asked at the API's gate (`@may`) and again
    by `open_vote` and `close_vote`: the second time answers from the first, which locked the vote."""
    vote = locked(vote_id)
    if vote is None or not _may_see(user, vote):
        raise NotFound(f"Vote {vote_id} not found")
    if not access.can_run_meeting(user, vote.meeting):
        raise Forbidden("Only the chair or the secretariat runs votes")
    return vote


def create_vote(
    user: User,
    meeting_id: int,
    *,
    question: str,
    agenda_item_id: int | None = None,
    secret: bool = False,
    options: list[str] | None = None,
    majority: str = "absolute",
    chair_breaks_tie: bool = True,
) -> Vote:
    meeting = meetings.run_meeting(user, meeting_id)
    if meeting.status == "closed":
        raise Conflict("The meeting is closed", code="meeting_closed")
    item = None
    if agenda_item_id is not None:
        item = db.session.get(AgendaItem, agenda_item_id)
        if item is None or item.meeting_id != meeting.id or not access.can_see_item(user, item):
            raise Invalid(
                f"Agenda item {agenda_item_id} is not in this meeting",
                code="unknown_item",
                fields=["agenda_item_id"],
            )
    options = list(dict.fromkeys(o.strip() for o in (options or DEFAULT_OPTIONS)))
    if len(options) < 2 or any(not o for o in options):
        raise Invalid("A vote needs at least two different, non-empty options", fields=["options"])
    vote = Vote(
        meeting=meeting,
        agenda_item=item,
        question=question.strip(),
        secret=secret,
        options=options,
        majority=majority,
        chair_breaks_tie=chair_breaks_tie,
        created_by_id=user.id,
        tallies=[VoteTally(choice=o, position=i) for i, o in enumerate(options)],
    )
    db.session.add(vote)
    audit.record(
        user,
        "vote.create",
        vote,
        {
            "meeting_id": meeting.id,
            "question": vote.question,
            "secret": secret,
            "options": options,
            "majority": majority,
        },
    )
    return vote


def open_vote_in(meeting: Meeting) -> Vote | None:
    """The meeting's open vote, if one is (at most one is: see `Vote`'s unique index)."""
    return db.session.scalar(_OPEN_VOTE, {"meeting": meeting.id})


_OPEN_VOTE = select(Vote).where(Vote.meeting_id == bindparam("meeting"), Vote.status == "open").limit(1)


def refuse_close_with_open_vote(meeting: Meeting) -> None:
    """A vote left open would stay open for ever, and the minutes could not say how it ended
    (`meetings.on_closing`)."""
    vote = open_vote_in(meeting)
    if vote is not None:
        raise Conflict(
            f"Close the vote “{vote.question}” before closing the session",
            code="vote_open",
            vote_id=vote.id,
            question=vote.question,
        )


def open_vote(user: User, vote_id: int) -> Vote:
    vote = runnable_vote(user, vote_id)
    if vote.status != "draft":
        raise Conflict(f"The vote is {vote.status}", code="wrong_vote_state")
    if vote.meeting.status != "in_progress":
        raise Conflict("Votes open while the meeting is in session", code="wrong_meeting_state")
    already = open_vote_in(vote.meeting)
    if already is not None:
        raise _already_open(already)
    # Opening without a quorum is allowed (the pages ask first): the record says it happened.
    quorum = meetings.attendance(vote.meeting).snapshot()
    try:
        # The unique index on the meeting's open vote decides two openings at the same moment.
        with db.session.begin_nested():
            _change(
                vote,
                status="open",
                opened_at=utcnow(),
                eligible=voters.count_eligible(vote),
                quorum_at_open=quorum,
            )
    except IntegrityError:
        raise _already_open(open_vote_in(vote.meeting)) from None
    audit.record(user, "vote.open", vote, {"attendance": quorum})
    events.publish(vote.meeting, "vote.opened", {**_public(vote), "attendance": quorum}, vote.agenda_item)
    return vote


def _already_open(vote: Vote | None) -> Conflict:
    named = f" “{vote.question}”" if vote is not None else ""
    return Conflict(
        f"Another vote{named} is open in this meeting: close it first",
        code="vote_already_open",
        **({"vote_id": vote.id, "question": vote.question} if vote is not None else {}),
    )


@dataclass
class Tally:
    counts: dict[str, int]
    cast: int


def tally(vote: Vote) -> Tally:
    counts = dict(db.session.execute(_TALLY, {"vote": vote.id}).all())
    return Tally(counts, sum(counts.values()))


def close_vote(user: User, vote_id: int) -> Vote:
    vote = runnable_vote(user, vote_id)
    if vote.status != "open":
        raise Conflict(f"The vote is {vote.status}, not open", code="wrong_vote_state")
    final = tally(vote)
    _change(vote, status="closed", closed_at=utcnow(), passed=decide(vote, final.counts))
    audit.record(user, "vote.close", vote, {"counts": final.counts, "passed": vote.passed})
    events.publish(
        vote.meeting,
        "vote.closed",
        {
            "vote_id": vote.id,
            "counts": final.counts,
            "passed": vote.passed,
            "cast": final.cast,
            "eligible": vote.eligible,
        },
        vote.agenda_item,
    )
    return vote


def decide(vote: Vote, counts: dict[str, int]) -> bool | None:
    """Whether the motion carries; None when the options are not a yes/no question."""
    if "yes" not in counts or "no" not in counts:
        return None
    yes, no, eligible = counts["yes"], counts["no"], vote.eligible
    if vote.majority == "simple":
        carried, tie = yes > no, yes == no
    elif vote.majority == "absolute":
        carried, tie = 2 * yes > eligible, 2 * yes == eligible
    else:  # two thirds of all eligible members
        return 3 * yes >= 2 * eligible and eligible > 0
    if tie and vote.chair_breaks_tie and not vote.secret and yes > 0:
        chair_choice = _chair_choice(vote)
        if chair_choice in ("yes", "no"):
            return chair_choice == "yes"
    return carried


def _chair_choice(vote: Vote) -> str | None:
    chair_id = vote.meeting.chair_id
    if chair_id is None:
        return None
    row = db.session.get(VoteParticipation, (vote.id, chair_id))
    return row.choice if row is not None else None


def has_voted(user: User, vote: Vote) -> bool:
    return db.session.get(VoteParticipation, (vote.id, user.id)) is not None


def list_votes(user: User, meeting_id: int) -> list[Vote]:
    meeting = meetings.get_meeting(user, meeting_id)
    votes = db.session.scalars(select(Vote).where(Vote.meeting_id == meeting.id).order_by(Vote.id))
    return [v for v in votes if _may_see(user, v)]


def _public(vote: Vote) -> dict:
    return {
        "vote_id": vote.id,
        "question": vote.question,
        "secret": vote.secret,
        "options": vote.options,
        "agenda_item_id": vote.agenda_item_id,
        "eligible": vote.eligible,
        "majority": vote.majority,
    }


def serialize(user: User, vote: Vote, current: Tally | None = None, voted: bool | None = None) -> dict:
    """The vote as `user` sees it; a caller that just counted or cast passes what it knows."""
    current = current or tally(vote)
    out = {
        "id": vote.id,
        "meeting_id": vote.meeting_id,
        "agenda_item_id": vote.agenda_item_id,
        "question": vote.question,
        "status": vote.status,
        "secret": vote.secret,
        "options": vote.options,
        "majority": vote.majority,
        "chair_breaks_tie": vote.chair_breaks_tie,
        "eligible": vote.eligible if vote.status != "draft" else voters.count_eligible(vote),
        "cast": current.cast,
        "has_voted": has_voted(user, vote) if voted is None else voted,
    }
    if vote.status == "closed" or access.can_run_meeting(user, vote.meeting):
        out["counts"] = current.counts
    if vote.status == "closed":
        out["passed"] = vote.passed
    if not vote.secret and "counts" in out:
        out["voters"] = _voters(vote) if current.cast else {}
    return out


def serialize_opened(user: User, vote: Vote) -> dict:
    """The vote as `user` sees it the moment it opened: no one has cast (a cast needs an open vote, and
    opening holds the vote's lock), so there is nothing to count or look up. The chair waits on this
    answer, and every tablet on the event sent just before it."""
    return serialize(user, vote, Tally(dict.fromkeys(vote.options, 0), 0), voted=False)


def _voters(vote: Vote) -> dict[str, str]:
    rows = db.session.scalars(select(VoteParticipation).where(VoteParticipation.vote_id == vote.id))
    return {str(r.user_id): r.choice for r in rows}


def named_choices(vote: Vote) -> list[tuple[str, str]]:
    """(member, choice) of a named vote, for the minutes; never called for a secret one."""
    if vote.secret:
        raise ValueError("a secret vote has no named choices")
    rows = db.session.execute(
        select(User.full_name, VoteParticipation.choice)
        .join(User, User.id == VoteParticipation.user_id)
        .where(VoteParticipation.vote_id == vote.id)
        .order_by(User.full_name)
    ).all()
    return [(name, choice) for name, choice in rows]
