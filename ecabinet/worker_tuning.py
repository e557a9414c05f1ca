"""What a serving worker does besides serving, each for a reason a benchmark measured (bench/README.md; the evidence in bench/HISTORY.md).

Nothing else in ecabinet runs work at a process's start or touches the garbage collector.
gunicorn.conf.py calls `prepare(app)` once in each worker, after the worker has loaded the app:

1. **A vote rehearsed, then rolled back** (`_rehearse_a_vote`), and the token lookups compiled.
   SQLAlchemy compiles a statement the first time a process runs it. The first open-vote call of a
   fresh process cost three to four times the next: 12.7 against 3.5 ms (2026-12-05); 23 ms of CPU
   against 6–9 ms when rehearsed, with 11 statements compiled against none (2026-12-06, in one
   process, 100 participants). That call is the first round of bench/live_fanout.py, whose p99 at
   100 tablets is its slowest round.
2. **The start-up heap frozen** (`gc.freeze`): what the worker loaded to start (the app, SQLAlchemy's
   mappers, the fonts) lives as long as it does; collected once and moved out of the collector's
   sight, the collections that run every few hundred allocations no longer walk it. A simple
   request's CPU fell from 1.0 to 0.75 ms (bench/HISTORY.md, "after group commit").
3. **Full garbage collections held back while live events go out** (`collect_garbage_when_quiet`).
   A full pass walks every object the process holds (a thousand tablets' sockets are a quarter of a
   million) and holds the loop 20–100 ms. CPython starts one when allocation says so, which in a
   session is when the meeting is busiest: at 500 and 1,000 tablets single rounds of live_fanout
   took 99 and 112 ms against 32–78 ms for the others, each with a full pass inside (37ea9ba).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

from ecabinet.common import serving


def prepare(app) -> None:
    # bench/bare_server.py runs under the same gunicorn.conf.py: it has no database and no live
    # events, and keeps CPython's schedule, but its heap is frozen as ecabinet's is.
    if "sqlalchemy" in getattr(app, "extensions", {}):
        warm_up(app)
        if serving.green():
            from ecabinet.live import publisher

            collect_garbage_when_quiet(publisher.last_sent)
    gc.collect()
    gc.freeze()


def warm_up(app) -> None:
    """The statements of the live path run once, in a transaction that is rolled back."""
    from ecabinet.auth import service as auth
    from ecabinet.extensions import db

    with app.app_context():
        try:
            auth.user_for_token("")  # every API call's first statement
            auth.users_for_tokens([auth.BearerToken("")])  # the live sockets' periodic check
            _rehearse_a_vote()
        finally:
            db.session.rollback()
            db.session.remove()


def _rehearse_a_vote() -> None:
    """A vote opened, cast and closed, on a meeting and by a member made for it: everything the first
    real vote runs — the gate's checks, its update, audit entries, events, the cast's rows — is then
    compiled already, rather than while a hundred tablets wait on it."""
    from ecabinet.auth.models import User, UserRole
    from ecabinet.common import unit_of_work
    from ecabinet.common.time import utcnow
    from ecabinet.extensions import db
    from ecabinet.meetings.models import Meeting, Participant
    from ecabinet.votes import casting
    from ecabinet.votes import service as votes

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
    vote = votes.create_vote(runner, meeting.id, question="rehearsal")
    # Each step written as a request would write it, with its one audit entry and event: several at
    # once go as another statement (executemany), compiled apart.
    session = db.session()
    unit_of_work.write_queued(session)
    votes.serialize_opened(runner, votes.open_vote(runner, vote.id))
    unit_of_work.write_queued(session)
    casting.may_cast(runner, vote.id)
    casting.record_casts([casting.Cast(vote.id, runner, "yes", "rehearsal")])
    unit_of_work.write_queued(session)
    votes.serialize(runner, votes.close_vote(runner, vote.id))
    unit_of_work.write_queued(session)


_NEVER = 2**31 - 1


def collect_garbage_when_quiet(
    last_event: Callable[[], float], every_s: float = 30, quiet_s: float = 1
) -> None:
    """While live events go out (`last_event`: when the last went out, by `time.monotonic`; less than
    `quiet_s` ago) CPython starts no full pass: a greenlet, looking four times per `quiet_s`, holds full
    passes back then, and once it is quiet again runs the pass that came due meanwhile and gives CPython
    its own schedule back. Events that never stop get a due pass every `every_s`. The younger
    generations, where most garbage dies, are collected by CPython as usual.

    Between events CPython decides, not the greenlet: CPython also waits until the long-lived objects
    have grown by a quarter since its last full pass, which a greenlet cannot see. Deciding alone by the
    count, the greenlet ran a full pass about every second in a busy process, and the vote storm's p99
    and the fan-out's slowest rounds grew with them (bench/README.md, `vote_storm.py`)."""
    import gevent

    young, middle, oldest = gc.get_threshold()

    def pass_if_due() -> None:
        if gc.get_count()[2] > oldest:
            gc.collect()

    def collector() -> None:
        held_since = None
        while True:
            gevent.sleep(quiet_s / 4)
            now = time.monotonic()
            if now - last_event() < quiet_s:
                if held_since is None:
                    gc.set_threshold(young, middle, _NEVER)
                    held_since = now
                elif now - held_since >= every_s:
                    pass_if_due()
                    held_since = now
            elif held_since is not None:
                pass_if_due()
                gc.set_threshold(young, middle, oldest)
                held_since = None

    gevent.spawn(collector)
