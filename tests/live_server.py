"""A real HTTP + Socket.IO server in a thread, for tests that connect as a tablet or a browser does."""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager

from werkzeug.serving import make_server

# Threads Engine.IO starts for itself (named after their functions): they never end, and hold nothing of a test.
ENGINEIO_THREADS = ("(_send_ping)", "(_service_task)")


@contextmanager
def serve(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    before = set(threading.enumerate())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        # Let the last requests (a socket's goodbye, a page's late fetch) finish and give their database
        # connections back before the test's database goes away: five seconds for all of them together.
        # Engine.IO's own pinger and service threads live as long as the process and touch no database;
        # waiting for them cost every socket test five seconds each.
        deadline = time.monotonic() + 5
        for handler in set(threading.enumerate()) - before:
            if handler is threading.current_thread() or handler.name.endswith(ENGINEIO_THREADS):
                continue
            handler.join(timeout=max(0.0, deadline - time.monotonic()))
