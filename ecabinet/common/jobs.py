"""Heavy work in job-worker processes, fed by a Huey queue: never on the loop that serves the tablets.

A server process is one gevent loop (gunicorn.conf.py): while a request computes, every other tablet
of the process waits. Reading, repairing, stamping and assembling PDFs is pure Python (pypdf) and
holds the GIL, so a thread of the process does not help either: 30 members opening a 300-page book
at once held the loop for seconds, one annotated copy over large ink notes for a minute
(bench/heavy_work.py).
Such work is a job: a module-level function registered with `@job`, whose arguments and result are
plain data (paths, ids, bytes). `run()` puts it on the queue and the request's greenlet waits for
the result cooperatively, as for any socket; `start()` queues it and returns.

Where the jobs go (ECABINET_JOBS):
- unset: a SQLite file in the instance folder (`instance/jobs.db`), taken by the workers that
  gunicorn.conf.py starts beside the server: nothing more to install or run;
- `redis://…`: Redis, so that `flask --app ecabinet jobs worker` on any host takes jobs (scale-out);
- `immediate`: here and now, in the calling process (what a process that is not a server does anyway).

Only a server process, which runs on gevent's loop, hands its jobs to the workers. Every other
process (the command line, the test servers' threads) runs them in place; a job worker runs in place
what it waits for, and queues what it starts (one book per participant, shared among the workers).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g, has_app_context
from huey import Huey
from huey.exceptions import ResultTimeout, TaskException
from huey.storage import RedisStorage, SqliteStorage
from sqlalchemy import event
from sqlalchemy.orm import Session

from ecabinet.common import serving
from ecabinet.errors import DomainError
from ecabinet.extensions import db

log = logging.getLogger(__name__)

# The queue's storage is chosen by `init_app` from the configuration; until then (and in immediate
# mode) Huey keeps its tasks and results in memory.
huey = Huey("ecabinet", immediate=True, utc=True)
_tasks: dict[Callable, Any] = {}
_app: Flask | None = None
_in_worker = False
# How long a request waits for its job before giving up; a 2,000-page book takes ~10 s on one core.
WAIT_S = 300


class _QueueFile(SqliteStorage):
    """The embedded queue, a SQLite file shared by the server and its job workers, that never holds
    the server's loop waiting for its lock.

    SQLite's own busy wait sleeps in C: a server process would stand still for as long as a worker
    holds the file's lock, and the workers run at a lower priority, so the system may pause one in
    the middle of a write while others run (seconds, on a busy machine). Here the lock is tried
    without waiting, and tried again after a sleep during which the loop serves (a patched sleep).
    Nor does a commit wait for the disk: SQLite's default syncs the file at every commit, on the loop,
    and a disk busy with the workers' books (and a neighbour's database) can take long to answer. With
    `synchronous=NORMAL` a commit syncs nothing; the checkpoints do, and the server leaves them to
    the workers."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)  # the tables, made with SQLite's busy wait: nothing served yet
        self._timeout = 0

    def _create_connection(self):
        conn = super()._create_connection()
        conn.execute("pragma synchronous=NORMAL")  # in WAL mode: safe from corruption, synced at checkpoints
        if serving.green():
            conn.execute("pragma wal_autocheckpoint=0")
        return conn

    def sql(self, *args, **kwargs):
        return self._again_while_locked(super().sql, *args, **kwargs)

    def pop_data(self, key):
        return self._again_while_locked(super().pop_data, key)

    def read_schedule(self, ts):
        return self._again_while_locked(super().read_schedule, ts)

    def dequeue(self):
        return self._again_while_locked(super().dequeue)

    @staticmethod
    def _again_while_locked(fn, *args, **kwargs):
        delay = 0.002
        while True:
            try:
                return fn(*args, **kwargs)
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
            time.sleep(delay)
            delay = min(delay * 2, 0.05)


class JobFailed(RuntimeError):
    """A job raised something other than a domain error (a bug, a damaged file): logged by the worker."""


def job(fn: Callable | None = None, *, writes: bool = False) -> Callable:
    """Register `fn` as a job. It stays an ordinary function: called directly, it runs in place.

    A job's transactions only read unless it says `writes=True`: on SQLite a reader does not wait
    for the writer, which may be the very request waiting for this job."""
    if fn is None:
        return lambda f: job(f, writes=writes)

    @wraps(fn)
    def in_app_context(reply: bool, *args):
        app = current_app._get_current_object() if has_app_context() else _app
        # Its own app context, so its own database session, as in a worker process.
        with app.app_context():
            g.job_writes = writes
            try:
                value = fn(*args)
            except DomainError as error:
                if not reply:
                    raise
                return ("raised", error)  # the request's answer (a 415 for a damaged upload…)
            finally:
                db.session.remove()
        # Nothing is kept for a job that nobody waits for (Huey keeps no None).
        return ("value", value) if reply else None

    _tasks[fn] = huey.task(name=fn.__qualname__)(in_app_context)  # Huey puts the module before it
    return fn


def transaction_writes() -> bool | None:
    """Whether the running job's transactions write; None outside a job."""
    return g.get("job_writes") if has_app_context() else None


def _queued() -> bool:
    """Whether jobs go to the queue: from a server process (gevent's loop) or a job worker."""
    return not huey.immediate and (serving.green() or _in_worker)


def run(fn: Callable, *args) -> Any:
    """`fn(*args)` in a job worker, the caller's greenlet waiting for its result without holding the
    loop; in place outside a server process. A domain error raised by the job is raised here."""
    if not _queued() or _in_worker:  # a worker waiting for another worker could wait for ever
        return fn(*args)
    _release_connection()
    result = _tasks[fn](True, *args)
    try:
        # Polled every 50–100 ms (a patched sleep: the loop serves meanwhile), or told by Redis.
        kind, value = result.get(blocking=True, timeout=WAIT_S, backoff=1.15, max_delay=0.1)
    except TaskException as exc:
        raise JobFailed(f"{fn.__name__} failed in a job worker: {exc.metadata.get('error')}") from None
    except ResultTimeout:
        result.revoke()
        raise JobFailed(f"{fn.__name__} did not finish within {WAIT_S} s") from None
    if kind == "raised":
        raise value
    return value


def _release_connection() -> None:
    """A request that has changed nothing yet holds no database connection while it waits: its
    transaction ends here (a later statement starts another). With 30 members opening their books at
    once, each holding one of the pool's 15 connections for seconds, every other request — a tablet's
    look at the meeting — waited for a connection as long as the books took."""
    session = db.session()
    untouched = not (session.new or session.dirty or session.deleted)
    if untouched and not session.info.get(_FLUSHED) and not _queued_work(session):
        session.rollback()


def _queued_work(session: Session) -> bool:
    """Whether the transaction has queued something for its commit (audit entries, live events…)."""
    return any(value for key, value in session.info.items() if key != _FLUSHED)


_FLUSHED = "jobs_flushed"


@event.listens_for(Session, "after_flush")
def _mark_flushed(session: Session, _context) -> None:
    session.info[_FLUSHED] = True


@event.listens_for(Session, "after_transaction_end")
def _forget_flushed(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_FLUSHED, None)


def start(fn: Callable, *args) -> None:
    """Queue `fn(*args)` for a job worker and go on; in place outside a server process."""
    task = _tasks[fn]
    if not _queued():
        try:
            task.call_local(False, *args)
        except Exception:  # as in a worker: logged, and the caller's work stands
            log.exception("job %s failed", fn.__name__)
        return
    task(False, *args)


def init_app(app: Flask) -> None:
    """Point the queue at the configured storage; remember the app that jobs run in."""
    global _app
    _app = app
    target = app.config["ECABINET_JOBS"]
    if target == "immediate":
        huey.immediate = True
        return
    if target.startswith(("redis://", "rediss://", "unix://")):
        # Redis tells a waiting request that its result is there, instead of being asked.
        huey.storage_class, huey.storage_kwargs = RedisStorage, {"url": target, "notify_result": True}
    else:
        path = Path(target or Path(app.instance_path) / "jobs.db")
        path.parent.mkdir(parents=True, exist_ok=True)
        huey.storage_class, huey.storage_kwargs = _QueueFile, {"filename": str(path)}
    huey.immediate = False
    huey.storage = huey.create_storage()


def work(workers: int) -> None:
    """Take jobs until stopped (SIGTERM, SIGINT): `workers` processes, below the server's priority."""
    global _in_worker
    _in_worker = True
    # A line per job started and finished (Huey's), beside the server's log; the libraries' warnings.
    logging.basicConfig(level=logging.WARNING, format="[%(asctime)s] [jobs %(process)d] %(message)s")
    logging.getLogger("huey").setLevel(logging.INFO)
    # The consumer's start-up banner lists every job; it prints after the server's welcome and pushed the
    # URL and the demo logins out of sight. The lines per job come from "huey", not from here.
    logging.getLogger("huey.consumer").setLevel(logging.WARNING)
    # The server's answers come first: a tablet's request waits for no one's book.
    os.nice(10)
    huey.immediate = False
    huey.storage = huey.create_storage()
    huey.create_consumer(workers=workers, worker_type="process", periodic=False).run()


@huey.on_startup()
def _fresh_connections() -> None:
    """A worker process is forked from the command that started it: its database connections are
    its own, never the parent's."""
    with _app.app_context():
        db.engine.dispose(close=False)
