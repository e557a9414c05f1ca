"""How this process serves: one gevent loop under gunicorn (production), or threads (tests, `flask run`).

gunicorn's gevent worker patches the standard library before it loads the app, so sockets, locks,
queues and `threading.Thread` become greenlets on one loop. Flask-SocketIO must then run in its gevent
mode; everywhere else (the test server, the command line) nothing is patched and it runs with threads.
Deciding from the patching, not from whether gevent is installed, keeps both working from one install.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any

from ecabinet.common.hooks import Hook

# Run once when a server process starts (`prepare`), before the first request, in a transaction that
# is rolled back. For the statements every live action runs: SQLAlchemy compiles a statement the first
# time it runs in a process, which made the first vote after a restart three times slower than the
# next (12.7 ms against 3.5 ms) — at a hundred tablets, most of the time they wait. Each function runs
# them with ids that match nothing, or on rows it makes itself: they compile, and the rollback undoes
# it all.
on_start: Hook[[]] = Hook("serving.on_start")
_last_live_event = 0.0
# The oldest generation's threshold: CPython's own while nothing is held back, _NEVER while live
# events are going out (`collect_garbage_when_quiet`); None where full passes are not managed.
_NEVER = 2**31 - 1
_oldest_threshold: int | None = None


def green() -> bool:
    """Whether gevent has patched this process (gunicorn's gevent worker)."""
    try:
        from gevent import monkey
    except ImportError:
        return False
    return bool(monkey.is_module_patched("socket"))


def socketio_async_mode() -> str:
    return "gevent" if green() else "threading"


def off_loop(fn: Callable[..., Any], *args: Any) -> Any:
    """`fn(*args)` in a native thread when on the gevent loop; here and now otherwise.

    For CPU-heavy work in C that lets go of the GIL (a password's scrypt, ~50–100 ms): run on the
    loop it would hold every socket and request of the process still for that long; in a native
    thread it runs on the other core while the loop goes on. `fn` must not touch the database
    session or a socket: it runs outside the request's greenlet."""
    if not green():
        return fn(*args)
    import gevent

    return gevent.get_hub().threadpool.apply(fn, args)


def prepare(app) -> None:
    """Run what `on_start` holds, and hold the garbage collector's full passes back while live events
    go out (gunicorn.conf.py, once per worker)."""
    # A process that serves something else (bench/bare_server.py) has no database to prepare.
    if not on_start or "sqlalchemy" not in getattr(app, "extensions", {}):
        return
    from ecabinet.extensions import db

    with app.app_context():
        try:
            on_start.run()
        finally:
            db.session.rollback()
            db.session.remove()
    if green():
        collect_garbage_when_quiet()


def live_event_sent() -> None:
    """The live publisher's mark: tablets are being told of a change, no full collection just now."""
    global _last_live_event
    _last_live_event = time.monotonic()
    if _oldest_threshold is not None:
        young, middle, _ = gc.get_threshold()
        gc.set_threshold(young, middle, _NEVER)


def collect_garbage_when_quiet(every_s: float = 30, quiet_s: float = 1) -> None:
    """Hold the garbage collector's full passes back while live events are going out.

    A full pass walks every object the process holds — a thousand tablets' sockets are a quarter of a
    million — and holds the loop 20–100 ms meanwhile. CPython starts one when allocation says so, which
    in a session is when the meeting is busiest: a vote opened to 500 tablets reached the last of them
    75 ms late instead of 35 because a pass ran in between. So from each live event on, CPython starts
    no full pass; once no event has gone out for `quiet_s`, a greenlet runs the pass CPython would have
    run meanwhile (if its threshold was crossed) and gives CPython its schedule back — between events,
    garbage (a clerk building books, say) is collected as it always was. Events that never stop get one
    pass every `every_s`. The younger generations, where most garbage dies, are collected as usual."""
    import gevent

    global _oldest_threshold
    _oldest_threshold = gc.get_threshold()[2]

    def collector() -> None:
        held_since = None
        while True:
            gevent.sleep(quiet_s / 4)
            young, middle, oldest = gc.get_threshold()
            if oldest != _NEVER:
                held_since = None
                continue
            now = time.monotonic()
            held_since = held_since or now
            if now - _last_live_event >= quiet_s:
                if gc.get_count()[2] > _oldest_threshold:
                    gc.collect()
                gc.set_threshold(young, middle, _oldest_threshold)
            elif now - held_since >= every_s:
                gc.collect()
                held_since = now

    gevent.spawn(collector)


# What gunicorn says when it refuses a request before the app sees it (a request line or headers over
# its limits, a malformed request): the contract's error shape, as the app itself would say it.
_SERVER_ERROR_CODES = {
    400: "bad_request",
    403: "forbidden",
    414: "uri_too_long",
    417: "expectation_failed",
    431: "headers_too_large",
    500: "error",
    501: "not_implemented",
}


def answer_refusals_in_json() -> None:
    """Make gunicorn's own refusals JSON `{"error": {"code", "message"}}` (in the worker process).

    gunicorn answers such requests itself, with a page of HTML, from `util.write_error`, which its
    workers call for every refusal; this puts the contract's answer in its place."""
    import json

    from gunicorn import util

    def write_error(sock, status_int: int, reason: str, mesg: str) -> None:
        code = _SERVER_ERROR_CODES.get(status_int, "error")
        body = json.dumps({"error": {"code": code, "message": mesg or reason}}).encode()
        head = (
            f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        util.write_nonblock(sock, head.encode("latin-1") + body)

    util.write_error = write_error
