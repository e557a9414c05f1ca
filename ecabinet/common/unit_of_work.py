"""What a transaction writes at its end and sends after its commit.

Services queue audit entries and live events while they work; they are written in `before_commit`
(so the chain and sequence locks are taken last and held briefly, always in the same order) and the
live events are sent in `after_commit` — a rolled-back change never reaches a tablet.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session

from ecabinet.common.hooks import Hook

# What runs at each end of a transaction, in the order `create_app` declares. Writers before the
# commit: the audit log writes last, so the chain's head is the last lock any transaction takes and
# no one holding it waits for another (no deadlocks).
on_before_commit: Hook[[Session]] = Hook("unit_of_work.on_before_commit")
on_after_commit: Hook[[Session]] = Hook("unit_of_work.on_after_commit")
on_after_rollback: Hook[[Session]] = Hook("unit_of_work.on_after_rollback")


def queue(session: Session, key: str, item) -> None:
    session.info.setdefault(key, []).append(item)


def take(session: Session, key: str) -> list:
    return session.info.pop(key, None) or []


@event.listens_for(Session, "before_commit")
def write_queued(session: Session) -> None:
    """What commit writes first; called alone only to rehearse a commit that is then rolled back."""
    on_before_commit.run(session)


@event.listens_for(Session, "after_commit")
def _send_queued(session: Session) -> None:
    on_after_commit.run(session)


@event.listens_for(Session, "after_rollback")
def _forget_queued(session: Session) -> None:
    on_after_rollback.run(session)
    session.info.clear()
