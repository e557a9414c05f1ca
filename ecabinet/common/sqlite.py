"""SQLite as the embedded database: one writer at a time, handed over within the process without polling.

SQLite lets one transaction write at a time. A writer that finds the lock taken sleeps and polls
(1, 2, 5 … 100 ms between tries), so in a burst of writes — every member voting within a second —
waiters wake too late again and again and the last of them wait seconds. Within the process, writers
queue on a lock instead, and the next one starts the moment the last one commits. Other processes
(the command line beside a running server) still meet SQLite's own busy wait.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.engine import Engine

BUSY_TIMEOUT_S = 15


class _WriteQueuedConnection(sqlite3.Connection):
    # One lock for the process: a process serves one database. Re-entrant, so that a thread which
    # opens a second writing connection meets SQLite's busy timeout, as before, not a lock that never frees.
    _write_lock = threading.RLock()

    def begin_write(self) -> None:
        if not self._write_lock.acquire(timeout=BUSY_TIMEOUT_S):
            raise sqlite3.OperationalError("database is locked")
        self._holds_write_lock = True
        try:
            self.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._release()
            raise

    def _release(self) -> None:
        if getattr(self, "_holds_write_lock", False):
            self._holds_write_lock = False
            self._write_lock.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._release()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._release()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._release()


def engine_options(options: dict) -> dict:
    # No pre-ping: a file beside the process does not drop connections, and it would cost a statement a request.
    options = {k: v for k, v in options.items() if k != "pool_pre_ping"}
    connect_args = {**options.get("connect_args", {}), "factory": _WriteQueuedConnection}
    return {**options, "connect_args": connect_args}


def tune(engine: Engine, writes: Callable[[], bool]) -> None:
    """Pragmas for every connection, and transactions that say up front whether they will write."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # A request that changes something takes the write lock up front, so concurrent writers queue
        # instead of failing halfway on a stale snapshot; reads stay concurrent.
        if writes():
            connection.connection.driver_connection.begin_write()
        else:
            connection.exec_driver_sql("BEGIN")
