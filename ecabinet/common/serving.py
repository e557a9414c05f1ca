"""How this process serves: one gevent loop under gunicorn (production), or threads (tests, `flask run`).

gunicorn's gevent worker patches the standard library before it loads the app, so sockets, locks,
queues and `threading.Thread` become greenlets on one loop. Flask-SocketIO must then run in its gevent
mode; everywhere else (the test server, the command line) nothing is patched and it runs with threads.
Deciding from the patching, not from whether gevent is installed, keeps both working from one install.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


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


# A body the app left unread is passed over in pieces this large. gunicorn's own pass reads 1 KiB at a
# time, and each such read copies the megabyte it holds ahead: a 40 MB body sent to any route, even one
# that answered 401 at once, held the loop — every tablet of the process — for 4 s, 100 MB for 7 s.
_PASS_OVER = 1024 * 1024


def pass_over_unread_bodies(most_bytes: int | None) -> None:
    """Make gunicorn read past a request body the app did not read (a refusal, a 413) cheaply and while
    the loop serves others, and no further than `most_bytes` (the largest body the app takes): past it,
    or if the client stalls, the connection is closed rather than read to the end (an endless chunked
    body). In the worker process; keep-alive connections then start their next request as before."""
    import gevent
    from gunicorn.http import parser

    finish_body = parser.Parser.finish_body

    def cooperative_finish_body(self, deadline=None, max_bytes=None):
        body = getattr(self.mesg, "body", None)
        if deadline is None and body is not None and not getattr(body, "failed", False):
            passed = 0
            try:
                while data := body.read(_PASS_OVER):
                    passed += len(data)
                    if most_bytes is not None and passed > most_bytes:
                        return False
                    gevent.sleep(0)
            except OSError:
                return False
        return finish_body(self, deadline, max_bytes)

    parser.Parser.finish_body = cooperative_finish_body
