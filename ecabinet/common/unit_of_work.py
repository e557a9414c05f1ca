"""What a transaction writes at its end and sends after its commit.

Services queue audit entries and live events while they work; they are written in `before_commit`
(so the chain and sequence locks are taken last and held briefly, always in the same order) and the
live events are sent in `after_commit` — a rolled-back change never reaches a tablet.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from sqlalchemy import event
from sqlalchemy.orm import Session

from ecabinet.common.hooks import Hook
from ecabinet.extensions import db

T = TypeVar("T")

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


_ONCE = "ecabinet.once_per_transaction"


def once_per_transaction(check: Callable[..., T]) -> Callable[..., T]:
    """For a permission function that loads what it checks and locks it (`votes.service.runnable_vote`):
    asked again in the same transaction with the same values, it answers what it answered the first
    time, without loading or checking again. The API's gate (`common.api.may`) asks a route's
    permission function before the view reads the body; the service asks it again as it acts (so that
    it is safe when called from a page, the command line or a test), and the second time is free.
    A refusal is not kept: it ends the request. A new transaction asks afresh."""
    signature = inspect.signature(check)

    @wraps(check)
    def once(*args, **kwargs) -> T:
        session = db.session()
        # Called positionally by a service and by name by the gate: the same call either way.
        key = (check, *signature.bind(*args, **kwargs).arguments.values())
        kept = session.info.get(_ONCE)
        if kept is not None and kept[0] is session.get_transaction() and key in kept[1]:
            return kept[1][key]
        answer = check(*args, **kwargs)
        transaction = session.get_transaction()  # begun by the check if not before
        if kept is None or kept[0] is not transaction:
            kept = session.info[_ONCE] = (transaction, {})
        kept[1][key] = answer
        return answer

    return once


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
