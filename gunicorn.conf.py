"""gunicorn settings that make Socket.IO's websockets work.

One worker process with many threads: Flask-SocketIO keeps a client's session in the process that
accepted it, so a process serves its own sockets, and simple-websocket gives each websocket a thread.
To serve more tablets, run more such processes (or hosts) behind a sticky load balancer with
SOCKETIO_MESSAGE_QUEUE set (README: scale-out).
"""

import os

bind = os.environ.get("ECABINET_BIND", "127.0.0.1:8000")
workers = 1
worker_class = "gthread"
threads = int(os.environ.get("ECABINET_THREADS", "200"))
# Open connections a worker takes (default 1000): above the threads, so that with every thread holding
# a websocket the worker still accepts the next page or API call rather than refusing it.
worker_connections = threads * 2 + 100
timeout = 120
graceful_timeout = 20
keepalive = 5
# A line per request: "-" for standard output, or a file. Off by default: behind nginx (README) its own
# access log has every request, and who changed what is in the audit log; formatting and writing the
# line costs a simple request a fifth of its CPU time, which a burst of votes feels.
accesslog = os.environ.get("ECABINET_ACCESS_LOG") or None
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# gunicorn's control socket lives at one fixed path per user; several ecabinet processes on one host
# (scale-out, tests, benchmarks) would fight over it, and we manage processes with systemd instead.
control_socket_disable = True


def post_worker_init(worker):
    # What the worker loaded to start (the app, SQLAlchemy's mappers, the fonts) lives as long as it does:
    # collected once, then moved out of the collector's sight, so that the collections that run every
    # few hundred allocations no longer walk it — a quarter of a simple request's CPU time.
    import gc

    gc.collect()
    gc.freeze()
