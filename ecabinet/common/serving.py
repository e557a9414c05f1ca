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

# Run once when a server process starts (`prepare`), before the first request.
_PREPARATIONS: list[Callable[[], None]] = []
_last_live_event = 0.0


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


def prepared_at_start(fn: Callable[[], None]) -> Callable[[], None]:
    """Register `fn` to run once as a server process starts, in a transaction that is rolled back.

    For the statements every live action runs: SQLAlchemy compiles a statement the first time it
    runs in a process, which made the first vote after a restart three times slower than the next
    (12.7 ms against 3.5 ms) — at a hundred tablets, most of the time they wait. `fn` runs them with
    ids that match nothing, or on rows it makes itself: they compile, and the rollback undoes it all."""
    _PREPARATIONS.append(fn)
    return fn


def prepare(app) -> None:
    """Run what was registered with `prepared_at_start`, and move the garbage collector's full passes to
    quiet moments (gunicorn.conf.py, once per worker)."""
    if not _PREPARATIONS:  # a process that serves something else (bench/bare_server.py)
        return
    from ecabinet.extensions import db

    with app.app_context():
        try:
            for fn in _PREPARATIONS:
                fn()
        finally:
            db.session.rollback()
            db.session.remove()
    if green():
        collect_garbage_when_quiet()


def live_event_sent() -> None:
    """The live publisher's mark: tablets are being told of a change, no full collection just now."""
    global _last_live_event
    _last_live_event = time.monotonic()


def collect_garbage_when_quiet(every_s: float = 30, quiet_s: float = 1) -> None:
    """Full passes of the garbage collector at moments when no live event is going out.

    A full pass walks every object the process holds — a thousand tablets' sockets are a quarter of a
    million — and holds the loop 20–100 ms meanwhile. CPython starts one when allocation says so, that
    is when the meeting is busiest: a vote opened to 500 tablets reached the last of them 75 ms late
    instead of 35 because a pass ran in between. Here CPython's own full passes are turned off and a
    greenlet runs one every `every_s` seconds, once no event has gone out for `quiet_s` (waiting at most
    another `every_s`), and only if anything reached the oldest generation since the last one. The
    younger generations, where most garbage dies, are still collected as usual."""
    import gevent

    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, 2**31 - 1)  # the oldest generation: never by allocation

    def collector() -> None:
        while True:
            gevent.sleep(every_s)
            if gc.get_count()[2] == 0:  # no collection of the middle generation since the last pass
                continue
            give_up_waiting = time.monotonic() + every_s
            while time.monotonic() - _last_live_event < quiet_s and time.monotonic() < give_up_waiting:
                gevent.sleep(quiet_s / 4)
            gc.collect()

    gevent.spawn(collector)
