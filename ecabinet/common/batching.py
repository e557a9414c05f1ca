"""Group commit: many requests' small writes of one kind, written by one thread in one transaction.

When every member votes within the same second, a transaction per cast spends most of its time on
what each cast repeats — taking the write lock, bumping the audit chain and the event counter,
committing — and on SQLite the casts queue for the one write lock anyway. A request instead hands its
item to the app's writer for that kind and waits; the writer takes everything waiting, runs the
handler on the lot in one transaction, commits, and only then answers each request. A request is
still answered only once its change is committed, and each item is decided on its own: the handler
returns a result or a domain error per item, and a batch that fails as a whole is written again one
item at a time, so that one bad item cannot sink the others.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app

from ecabinet.errors import DomainError, Unavailable, database_unreachable
from ecabinet.extensions import db

log = logging.getLogger(__name__)
_CREATE = threading.Lock()

# A batch handler: the items in the order they came, and per item its result or the DomainError to raise.
Handler = Callable[[Sequence[Any]], list[Any]]


class Busy(DomainError):
    status, code, message = 503, "busy", "The server is busy; try again"


@dataclass
class _Waiting:
    item: Any
    future: Future = field(default_factory=Future)


class BatchWriter:
    IDLE_SECONDS = 2  # the thread ends when nothing came for this long, and starts again on demand

    def __init__(self, app: Flask, name: str, handler: Handler, max_batch: int = 200):
        self.app = app
        self.name = name
        self.handler = handler
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[_Waiting] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def write(self, item: Any, timeout: float = 30) -> Any:
        """Hand one item over and wait until it is committed: its result, or its error raised.

        The caller holds no connection while it waits (a request's transaction ended at its gate:
        `common.api.written_elsewhere`): the writer needs one from the same pool, and a burst of
        waiting callers would hold them all."""
        waiting = self._queued(item)
        try:
            return waiting.future.result(timeout=timeout)
        except FutureTimeout:
            # Still queued or being written: it may yet be committed, so the caller must not assume it failed.
            raise Busy("The server is busy; check whether it was recorded before trying again") from None

    def hand_over(self, item: Any) -> None:
        """Queue one item and go on without waiting: for a note nobody waits on (a device last seen),
        which the writer writes with whatever else is waiting."""
        self._queued(item)

    def _queued(self, item: Any) -> _Waiting:
        waiting = _Waiting(item)
        with self._lock:
            self._queue.put(waiting)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=f"ecabinet-{self.name}", daemon=True)
                self._thread.start()
        return waiting

    def _run(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=self.IDLE_SECONDS)
            except queue.Empty:
                with self._lock:  # nobody can queue while we decide to stop
                    if self._queue.empty():
                        self._thread = None
                        return
                continue
            batch = [first]
            while len(batch) < self.max_batch:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._write(batch)

    def _write(self, batch: list[_Waiting]) -> None:
        with self.app.app_context():
            try:
                results = self.handler([w.item for w in batch])
                db.session.commit()
            except Exception as exc:
                db.session.rollback()
                # Written again one by one, unless the database is out of reach: then each would fail
                # alike, and every request answers 503 and is retried.
                if len(batch) > 1 and not database_unreachable(exc):
                    db.session.remove()
                    for waiting in batch:
                        self._write([waiting])
                    return
                if database_unreachable(exc):
                    log.warning("%s: database unreachable: %s", self.name, str(exc).splitlines()[0])
                    results = [Unavailable() for _ in batch]
                else:
                    if not isinstance(exc, DomainError):
                        log.exception("%s: writing failed", self.name)
                    results = [exc]
            finally:
                db.session.remove()
        for waiting, result in zip(batch, results, strict=True):
            if isinstance(result, BaseException):
                waiting.future.set_exception(result)
            else:
                waiting.future.set_result(result)


def writer_for(name: str, handler: Handler) -> BatchWriter:
    """The current app's writer for this kind of item (each app — the tests make many — has its own)."""
    app = current_app._get_current_object()
    writers = app.extensions.setdefault("ecabinet.batch_writers", {})
    writer = writers.get(name)
    if writer is None:  # once per app and kind: every cast after the first finds it without a lock
        with _CREATE:
            writer = writers.setdefault(name, BatchWriter(app, name, handler))
    return writer
