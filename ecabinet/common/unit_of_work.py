"""What a transaction writes at its end and sends after its commit.

Services queue audit entries and live events while they work; they are written in `before_commit`
(so the chain and sequence locks are taken last and held briefly, always in the same order) and the
live events are sent in `after_commit` — a rolled-back change never reaches a tablet.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session

# Writers run in registration order, then the last ones: the audit log writes last, so the chain's
# head is the last lock any transaction takes and no one holding it waits for another (no deadlocks).
# Import order cannot be trusted for this: auth imports the audit log long before the live publisher.
_before_commit: list[Callable[[Session], None]] = []
_before_commit_last: list[Callable[[Session], None]] = []
_after_commit: list[Callable[[Session], None]] = []
_after_rollback: list[Callable[[Session], None]] = []


def on_before_commit(fn: Callable[[Session], None]) -> Callable[[Session], None]:
    _before_commit.append(fn)
    return fn


def on_before_commit_last(fn: Callable[[Session], None]) -> Callable[[Session], None]:
    _before_commit_last.append(fn)
    return fn


def on_after_commit(fn: Callable[[Session], None]) -> Callable[[Session], None]:
    _after_commit.append(fn)
    return fn


def on_after_rollback(fn: Callable[[Session], None]) -> Callable[[Session], None]:
    _after_rollback.append(fn)
    return fn


def queue(session: Session, key: str, item) -> None:
    session.info.setdefault(key, []).append(item)


def take(session: Session, key: str) -> list:
    return session.info.pop(key, None) or []


@event.listens_for(Session, "before_commit")
def write_queued(session: Session) -> None:
    """What commit writes first; called alone only to rehearse a commit that is then rolled back."""
    for fn in (*_before_commit, *_before_commit_last):
        fn(session)


@event.listens_for(Session, "after_commit")
def _send_queued(session: Session) -> None:
    for fn in _after_commit:
        fn(session)


@event.listens_for(Session, "after_rollback")
def _forget_queued(session: Session) -> None:
    for fn in _after_rollback:
        fn(session)
    session.info.clear()
