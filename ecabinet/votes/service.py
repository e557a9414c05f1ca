"""Live votes in a meeting: put a question, open, cast (once), close and decide by the majority rule."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from sqlalchemy import and_, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager
from sqlalchemy.orm.attributes import set_committed_value

from ecabinet.audit import service as audit
from ecabinet.auth import service as auth
from ecabinet.auth.models import User, UserRole
from ecabinet.auth.service import BearerToken
from ecabinet.common import batching, unit_of_work
from ecabinet.common.time import utcnow
from ecabinet.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from ecabinet.extensions import db
from ecabinet.live import publisher
from ecabinet.meetings import access
from ecabinet.meetings import service as meetings
from ecabinet.meetings.models import AgendaItem, Meeting, Participant
from ecabinet.votes.models import Vote, VoteParticipation, VoteTally

DEFAULT_OPTIONS = ["yes", "no", "abstain"]


def count_eligible(vote: Vote) -> int:
    """Who votes: the meeting's participants holding the member role (observers, clerks and
    stand-ins without the role speak but do not vote) who may see what the vote is about — on a
    confidential item, only those cleared for it, or no majority could ever be reached."""
    item = vote.agenda_item
    if item is not None and access.is_confidential(item):
        return sum(
            1
            for p in vote.meeting.participants
            if p.user.has_role("member") and p.user.active and access.cleared_for_item(p.user, item)
        )
    # Counted in the database: a cabinet meeting may have hundreds of participants with their accounts.
    return db.session.scalar(_COUNT_MEMBERS, {"meeting": vote.meeting_id})


_COUNT_MEMBERS = (
    select(func.count())
    .select_from(Participant)
    .join(User, User.id == Participant.user_id)
    .join(UserRole, and_(UserRole.user_id == User.id, UserRole.role == "member"))
    .where(Participant.meeting_id == bindparam("meeting"), User.active)
)


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


def _locked(vote_id: int, shared: bool = False) -> Vote | None:
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
# Per member of a batch: taking part? checked in? voted already, and with which cast? (Not taking part: no row.)
_CASTERS = (
    select(
        Participant.user_id,
        Participant.present,
        VoteParticipation.user_id.is_not(None),
        VoteParticipation.client_id,
        VoteParticipation.choice,
    )
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
_INSERT_PARTICIPATIONS = insert(VoteParticipation.__table__)
_TALLIES = VoteTally.__table__
_ADD_TO_TALLY = (
    update(_TALLIES)
    .where(_TALLIES.c.vote_id == bindparam("vote"), _TALLIES.c.choice == bindparam("option"))
    .values(count=_TALLIES.c.count + bindparam("added"))
)


def rehearse_a_vote() -> None:
    """A vote opened, cast and closed once as the server process starts, on a meeting and by a member
    made for it in the start-up transaction, which is rolled back: everything the first real vote
    runs — its update, audit entries, events, the cast's rows — is then compiled already, rather than
    while a hundred tablets wait on it."""
    runner = User(
        username="~rehearsal",  # no real account can have it (auth's USERNAME_RE)
        full_name="rehearsal",
        password_hash="!",
        session_nonce="-",
        role_rows=[UserRole(role="secretariat"), UserRole(role="member")],
    )
    meeting = Meeting(title="rehearsal", starts_at=utcnow(), status="in_progress")
    meeting.participants.append(Participant(user=runner))
    db.session.add(meeting)
    db.session.flush()
    vote = create_vote(runner, meeting.id, question="rehearsal")
    # Each step written as a request would write it, with its one audit entry and event: several at
    # once go as another statement (executemany), compiled apart.
    session = db.session()
    unit_of_work.write_queued(session)
    serialize_opened(runner, open_vote(runner, vote.id))
    unit_of_work.write_queued(session)
    _record_casts([_Cast(vote.id, runner, "yes", "rehearsal")])
    unit_of_work.write_queued(session)
    serialize(runner, close_vote(runner, vote.id))
    unit_of_work.write_queued(session)


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


def _run(user: User, vote_id: int) -> Vote:
    """The vote, locked, for the chair or the secretariat to open or close."""
    return _runner_checked(user, _locked(vote_id), vote_id)


def runnable_vote(user: User, vote_id: int) -> Vote:
    """The vote, if the caller may open or close it."""
    return _runner_checked(user, db.session.get(Vote, vote_id), vote_id)


def _runner_checked(user: User, vote: Vote | None, vote_id: int) -> Vote:
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
    vote = _run(user, vote_id)
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
                vote, status="open", opened_at=utcnow(), eligible=count_eligible(vote), quorum_at_open=quorum
            )
    except IntegrityError:
        raise _already_open(open_vote_in(vote.meeting)) from None
    audit.record(user, "vote.open", vote, {"attendance": quorum})
    publisher.publish(vote.meeting, "vote.opened", {**_public(vote), "attendance": quorum}, vote.agenda_item)
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


@dataclass(frozen=True)
class _Cast:
    vote_id: int
    # The caller as the request loaded them, roles included (the writer reads only their id and roles,
    # which saves loading them again), or their bearer token for the writer to look up with the batch's.
    caller: User | BearerToken
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


def cast(caller: User | BearerToken, vote_id: int, choice: str, client_id: str | None = None) -> Recorded:
    """Record one member's vote (once, final); the vote as they now see it.

    The same `client_id` again from the same member is their cast retried after the answer was lost
    (the server stopped after the commit, the network dropped the reply): it is answered with the cast
    already recorded, never counted twice, and not refused as if someone else had voted for them.

    Written together with the other casts arriving at the same moment (`common.batching`): when a
    whole cabinet votes within a second, one transaction per cast would spend its time taking the
    lock and chaining the audit log rather than counting — and each request looking up who sent it."""
    return batching.writer_for("votes.cast", _record_casts).write(_Cast(vote_id, caller, choice, client_id))


def _record_casts(casts: Sequence[_Cast]) -> list[Recorded | DomainError]:
    """Per cast, the vote as its member now sees it, or why it was refused."""
    results: list[Recorded | DomainError] = [NotFound() for _ in casts]
    # Who cast comes first: a token that is not live is refused whatever it was sent for.
    users = auth.users_for_tokens(c.caller for c in casts if isinstance(c.caller, BearerToken))
    by_vote: dict[int, list[tuple[int, _Cast, User]]] = {}
    for n, c in enumerate(casts):
        user = users.get(c.caller) if isinstance(c.caller, BearerToken) else c.caller
        if user is None:
            results[n] = auth.refusal(c.caller.raw, bearer=True)
            continue
        by_vote.setdefault(c.vote_id, []).append((n, c, user))
    for vote_id in sorted(by_vote):  # votes in id order, so that two writers never lock crosswise
        _record_casts_of_vote(vote_id, by_vote[vote_id], results)
    return results


def _record_casts_of_vote(vote_id: int, casts: list[tuple[int, _Cast, User]], results: list) -> None:
    vote = _locked(vote_id, shared=True)
    if vote is None:
        for n, _, _ in casts:
            results[n] = NotFound(f"Vote {vote_id} not found")
        return
    connection = db.session.connection()
    members = {"vote": vote.id, "meeting": vote.meeting_id, "members": [user.id for _, _, user in casts]}
    present: dict[int, bool] = {}
    voted: dict[int, _Earlier] = {}
    for user_id, checked_in, has_voted, client_id, choice in connection.execute(_CASTERS, members):
        present[user_id] = checked_in
        if has_voted:
            voted[user_id] = _Earlier(client_id, choice)
    accepted, retried = [], []
    for n, c, user in casts:
        earlier = voted.get(user.id)
        try:
            _check_cast(user, vote, c.choice, present.get(user.id), earlier, c.client_id)
        except DomainError as refused:
            results[n] = refused
            continue
        if earlier is not None:  # the same cast again
            retried.append((n, user, earlier))
            continue
        # A second device's cast in the same batch is a second vote; the same cast sent twice is not.
        voted[user.id] = _Earlier(c.client_id, None if vote.secret else c.choice)
        accepted.append((n, c, user))
    if not accepted and not retried:
        return
    current = _record_accepted(vote, accepted) if accepted else tally(vote)
    for n, _, user in accepted:
        results[n] = Recorded(serialize(user, vote, current, voted=True))
    for n, user, earlier in retried:
        results[n] = Recorded(_with_choice(serialize(user, vote, current, voted=True), earlier), new=False)


def _with_choice(vote: dict, earlier: _Earlier) -> dict:
    """A named vote's answer to a retried cast names the choice recorded; a secret vote's cannot."""
    return vote if earlier.choice is None else {**vote, "choice": earlier.choice}


def _record_accepted(vote: Vote, accepted: list[tuple[int, _Cast, User]]) -> Tally:
    """Count the casts, log them and tell the tablets; the tally now."""
    connection = db.session.connection()
    # The primary key (vote, member) refuses a second row even if another process wrote one meanwhile.
    connection.execute(
        _INSERT_PARTICIPATIONS,
        [
            {
                "vote_id": vote.id,
                "user_id": user.id,
                "choice": None if vote.secret else c.choice,
                "client_id": c.client_id,
            }
            for _, c, user in accepted
        ],
    )
    added = Counter(c.choice for _, c, _ in accepted)
    connection.execute(
        _ADD_TO_TALLY, [{"vote": vote.id, "option": choice, "added": n} for choice, n in added.items()]
    )
    for _, c, user in accepted:
        # A secret vote's log line says who voted, never how.
        audit.record(user, "vote.cast", ("votes", vote.id), {} if vote.secret else {"choice": c.choice})
    current = tally(vote)
    publisher.publish(
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


def may_cast(user: User, vote_id: int) -> None:
    """Whether the caller may vote in this vote at all, whatever its state and their choice."""
    vote = db.session.get(Vote, vote_id)
    if vote is None:
        raise NotFound(f"Vote {vote_id} not found")
    _check_caster(user, vote, access.participant_of(user, vote.meeting) is not None)


def _check_caster(user: User, vote: Vote, taking_part: bool) -> None:
    if not taking_part:
        # The contract answers 403 to a non-participant, whether or not they could see the meeting.
        raise Forbidden("Only the meeting's members vote")
    if vote.meeting.status == "draft" or (
        vote.agenda_item_id is not None and not access.cleared_for_item(user, vote.agenda_item)
    ):
        raise NotFound(f"Vote {vote.id} not found")
    if not user.has_role("member"):
        raise Forbidden("Only the members taking part in the meeting vote")


def _check_cast(
    user: User,
    vote: Vote,
    choice: str,
    present: bool | None,
    earlier: _Earlier | None,
    client_id: str | None,
) -> None:
    """Refuses the cast with the reason; returns when it is to be recorded or is the recorded one again."""
    _check_caster(user, vote, taking_part=present is not None)
    if earlier is not None and client_id is not None and earlier.client_id == client_id:
        return  # recorded already, whether or not the vote has closed since
    if vote.status != "open":
        raise Conflict(f"The vote is {vote.status}, not open", code="vote_not_open")
    if choice not in vote.options:
        raise Invalid(
            f"Unknown choice {choice!r}; one of {', '.join(vote.options)}",
            code="unknown_choice",
            fields=["choice"],
        )
    # The chair counts as present while chairing (`meetings.is_present`): a vote is open only in session.
    if vote.meeting.require_checkin_to_vote and not (present or user.id == vote.meeting.chair_id):
        raise Conflict("Check in to the meeting before voting", code="not_checked_in")
    if earlier is not None:
        raise Conflict("You have already voted", code="already_voted")


def close_vote(user: User, vote_id: int) -> Vote:
    vote = _run(user, vote_id)
    if vote.status != "open":
        raise Conflict(f"The vote is {vote.status}, not open", code="wrong_vote_state")
    final = tally(vote)
    _change(vote, status="closed", closed_at=utcnow(), passed=decide(vote, final.counts))
    audit.record(user, "vote.close", vote, {"counts": final.counts, "passed": vote.passed})
    publisher.publish(
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
        "eligible": vote.eligible if vote.status != "draft" else count_eligible(vote),
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
