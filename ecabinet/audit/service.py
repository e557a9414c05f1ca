"""Appending to and verifying the hash-chained audit log."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from ecabinet.audit.models import GENESIS_HASH, AuditChainHead, AuditEntry
from ecabinet.common import unit_of_work
from ecabinet.common.time import iso, utcnow
from ecabinet.extensions import db

_QUEUE = "audit"


@dataclass
class _Pending:
    at: datetime
    actor_id: int | None
    action: str
    object_type: str
    object_id: int | None
    payload: dict


def record(actor, action: str, obj, payload: dict | None = None) -> None:
    """Queue an audit entry for the current transaction.

    `obj` is a model instance (its table name and id are recorded) or a (type, id) pair. The payload
    must never hold passwords, tokens or a secret vote's choice.
    """
    if isinstance(obj, tuple):
        object_type, object_id = obj
    else:
        if obj.id is None:  # a new object gets its id when it is written
            db.session.flush()
        object_type, object_id = obj.__tablename__, obj.id
    unit_of_work.queue(
        db.session(),
        _QUEUE,
        _Pending(utcnow(), getattr(actor, "id", None), action, object_type, object_id, payload or {}),
    )


def entry_hash(
    prev_hash: str, seq: int, at: datetime, actor_id, action, object_type, object_id, payload
) -> str:
    content = json.dumps(
        [prev_hash, seq, iso(at), actor_id, action, object_type, object_id, payload],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(content.encode()).hexdigest()


# Built once, run on the connection as plain SQL: every transaction that records anything runs them,
# and building them anew through the ORM cost more than running them.
_HEAD = AuditChainHead.__table__
_BUMP_HEAD = (
    update(_HEAD)
    .where(_HEAD.c.id == 1)
    .values(seq=_HEAD.c.seq + bindparam("entries"))
    .returning(_HEAD.c.seq, _HEAD.c.hash)
)
_SET_HEAD_HASH = update(_HEAD).where(_HEAD.c.id == 1).values(hash=bindparam("tip"))
_INSERT_ENTRIES = insert(AuditEntry.__table__)


def write_pending(session: Session) -> None:
    pending = unit_of_work.take(session, _QUEUE)
    if not pending:
        return
    # The transaction's own rows first: the chain's head must be the last lock it takes.
    session.flush()
    # Bumping the head first takes its row lock: concurrent writers append one after another.
    connection = session.connection()
    seq, prev = connection.execute(_BUMP_HEAD, {"entries": len(pending)}).one()
    seq -= len(pending)
    rows = []
    for item in pending:
        seq += 1
        # Round-trip the payload through JSON so the hash covers exactly what is stored.
        payload = json.loads(json.dumps(item.payload, default=str))
        digest = entry_hash(
            prev, seq, item.at, item.actor_id, item.action, item.object_type, item.object_id, payload
        )
        rows.append(
            {
                "seq": seq,
                "at": item.at,
                "actor_id": item.actor_id,
                "action": item.action,
                "object_type": item.object_type,
                "object_id": item.object_id,
                "payload": payload,
                "prev_hash": prev,
                "hash": digest,
            }
        )
        prev = digest
    connection.execute(_INSERT_ENTRIES, rows)
    connection.execute(_SET_HEAD_HASH, {"tip": prev})


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    problem: str | None = None
    seq: int | None = None


def verify() -> VerifyResult:
    """Walk the chain from the start; report the first entry that was altered or is missing."""
    prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    for entry in db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).yield_per(1000):
        if entry.seq != expected_seq:
            return VerifyResult(False, checked, f"entry {expected_seq} is missing", expected_seq)
        if entry.prev_hash != prev:
            return VerifyResult(
                False, checked, f"entry {entry.seq} does not follow its predecessor", entry.seq
            )
        digest = entry_hash(
            prev,
            entry.seq,
            entry.at,
            entry.actor_id,
            entry.action,
            entry.object_type,
            entry.object_id,
            entry.payload,
        )
        if digest != entry.hash:
            return VerifyResult(False, checked, f"entry {entry.seq} was altered", entry.seq)
        prev = entry.hash
        expected_seq += 1
        checked += 1
    head = db.session.get(AuditChainHead, 1)
    if head is not None and (head.seq != checked or head.hash != prev):
        return VerifyResult(
            False, checked, f"entries after {checked} are missing (the chain ends at {head.seq})", checked + 1
        )
    return VerifyResult(True, checked)
