"""A real HTTP + Socket.IO server in a thread, for tests that connect as a tablet or a browser does."""

from __future__ import annotations

import threading
from contextlib import contextmanager

from werkzeug.serving import make_server


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
        # connections back before the test's database goes away.
        for handler in set(threading.enumerate()) - before:
            if handler is not threading.current_thread():
                handler.join(timeout=5)
