"""Work done after the answer has gone: one background thread per kind of work, in the app's context.

Used for what a user should not wait for and that waits on the network, not the CPU (talking to the
mail server). CPU-heavy work goes to job-worker processes instead (ecabinet.common.jobs).
`wait_idle()` lets the command line and the tests wait until queued work is done.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from flask import Flask

from ecabinet.extensions import db

log = logging.getLogger(__name__)


class Worker:
    def __init__(self, name: str):
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"ecabinet-{name}")
        self._pending: set[Future] = set()
        self._lock = threading.Lock()

    def submit(self, app: Flask, fn: Callable, *args) -> None:
        future = self._executor.submit(self._run, app, fn, *args)
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._forget)

    def _forget(self, future: Future) -> None:
        with self._lock:
            self._pending.discard(future)

    @staticmethod
    def _run(app: Flask, fn: Callable, *args) -> None:
        with app.app_context():
            try:
                fn(*args)
            except Exception:
                log.exception("background work %s failed", getattr(fn, "__name__", fn))
                db.session.rollback()
            finally:
                db.session.remove()

    def wait_idle(self, timeout: float = 30) -> None:
        with self._lock:
            futures = list(self._pending)
        for future in futures:
            future.result(timeout=timeout)
