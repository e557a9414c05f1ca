"""gunicorn settings: one process running gevent, which serves every page, API call and websocket.

gunicorn's gevent worker patches the standard library, so each connection — an API call or a tablet's
websocket held open for the whole session — is a greenlet on one loop rather than an OS thread.
A burst (every member voting within the same second) then costs each request its own work only: with
a thread per request, hundreds of threads taking turns at the GIL spent more CPU than the requests,
and the writer thread that commits the casts waited its turn behind them at every statement.
PostgreSQL's psycopg (3.1.14 and later) and Redis's client cooperate with the patched sockets; SQLite
calls are short and local. Flask-SocketIO follows in its gevent mode with simple-websocket
(`ecabinet.common.serving`); do not install gevent-websocket, which breaks this worker.

Flask-SocketIO keeps a client's session in the process that accepted it, so a process serves its own
sockets. To serve more tablets, run more such processes (or hosts) behind a sticky load balancer with
SOCKETIO_MESSAGE_QUEUE set (README: scale-out).

Heavy work (PDFs, books, annotated copies, reports, signing) is not done on that loop: it goes to job
workers (`ecabinet.common.jobs`), which this configuration starts beside the server when it is ready and
stops when it exits, so that gunicorn alone is a complete server on one host. ECABINET_JOB_WORKERS=0
starts none, for a server whose jobs are taken by `flask --app ecabinet jobs worker` on other hosts.
"""

import os
import resource
import signal
import subprocess
import sys

bind = os.environ.get("ECABINET_BIND", "127.0.0.1:8000")
workers = 1
worker_class = "gevent"
# Open connections the worker serves at once (gunicorn's default is 1000): every tablet holds one
# websocket, and pages, API calls and downloads come on top.
worker_connections = int(os.environ.get("ECABINET_CONNECTIONS", "4000"))
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
# The longest request line gunicorn reads (its most, 8,190 bytes; its default is half): a search in
# Vietnamese is nine bytes a letter once percent-encoded. Longer lines, and headers past gunicorn's
# limits, are refused by gunicorn itself, in the contract's JSON (`serving.answer_refusals_in_json`).
limit_request_line = 8190


def on_starting(server):
    # ./run.sh's welcome: the address and the demo logins, shown last before "Listening at" rather than
    # lost above the install's and the migration's lines. Not passed on to the worker processes.
    welcome = os.environ.pop("ECABINET_WELCOME", "")
    if welcome:
        print(f"\n{welcome}\n", flush=True)


def post_worker_init(worker):
    from ecabinet.common import serving

    serving.answer_refusals_in_json()
    serving.pass_over_unread_bodies(getattr(worker.wsgi, "config", {}).get("MAX_CONTENT_LENGTH"))

    # Each connection is a file descriptor: many systems start a process with a soft limit of 1024,
    # below worker_connections. Raise it as far as the hard limit allows.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = worker_connections + 256  # the database, the log, Redis, the PDFs being read
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(
            resource.RLIMIT_NOFILE, (wanted if hard == resource.RLIM_INFINITY else min(wanted, hard), hard)
        )

    # Last, once the worker has loaded everything: the statements of the live path compiled, the start-up
    # heap frozen, full collections held back while live events go out (each measured: see the module).
    from ecabinet import worker_tuning

    worker_tuning.prepare(worker.wsgi)


def when_ready(server):
    """Start the job workers (one command; its own worker processes below it) once the server listens."""
    if os.environ.get("ECABINET_JOB_WORKERS") == "0" or os.environ.get("ECABINET_JOBS") == "immediate":
        return
    server.job_workers = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "ecabinet", "jobs", "worker"],
        cwd=os.path.dirname(os.path.abspath(__file__)),
        preexec_fn=_stop_with_parent,
    )
    server.log.info("job workers started (pid %s)", server.job_workers.pid)


def on_exit(server):
    job_workers = getattr(server, "job_workers", None)
    if job_workers is None or job_workers.poll() is not None:
        return
    job_workers.terminate()  # a job under way is abandoned; its request has gone with the server
    try:
        job_workers.wait(timeout=graceful_timeout)
    except subprocess.TimeoutExpired:
        job_workers.kill()
        job_workers.wait()


def _stop_with_parent():
    """Linux: the job workers are told to stop should gunicorn itself be killed outright."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
