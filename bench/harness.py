"""What every benchmark shares: the machine it ran on, percentiles, a cabinet made through the
services, and a real gunicorn server run as a subprocess on loopback.

Import this module before ecabinet: it points ECABINET_INSTANCE at a temporary folder, so a
benchmark never writes into the repository's instance/.
"""

from __future__ import annotations

import atexit
import importlib.metadata
import os
import platform
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
# The ecabinet beside this folder, also when the benchmarks run from a copy of the repository.
if str(REPO) not in sys.path:
    sys.path.insert(1, str(REPO))
if "ECABINET_INSTANCE" not in os.environ:  # children inherit it; the process that made it removes it
    os.environ["ECABINET_INSTANCE"] = tempfile.mkdtemp(prefix="ecabinet-bench-instance-")
    atexit.register(shutil.rmtree, os.environ["ECABINET_INSTANCE"], True)

PASSWORD = "bench-password-2026"
LIBRARIES = (
    "ecabinet",
    "Flask",
    "Flask-SocketIO",
    "python-socketio",
    "python-engineio",
    "simple-websocket",
    "gunicorn",
    "SQLAlchemy",
    "psycopg",
    "redis",
    "pypdf",
    "pikepdf",
    "fpdf2",
    "pillow",
    "aiohttp",
    "requests",
)


# --- the machine -----------------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024 / 1024
    return 0.0


def _version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "-"


def revision() -> str:
    """The ecabinet commit measured: git's, or ECABINET_REVISION for a copy without .git."""
    try:
        head = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            [
                "git",
                "-C",
                str(REPO),
                "status",
                "--porcelain",
                "--",
                "ecabinet",
                "wsgi.py",
                "gunicorn.conf.py",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return head + (" with uncommitted changes in ecabinet/" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return os.environ.get("ECABINET_REVISION", "unknown")


def machine(extra: dict[str, str] | None = None) -> dict[str, str]:
    info = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": _cpu_model(),
        "cores": f"{os.cpu_count()} (usable: {len(os.sched_getaffinity(0))})",
        "ram": f"{_ram_gib():.1f} GiB",
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "ecabinet revision": revision(),
        "libraries": ", ".join(f"{name} {_version(name)}" for name in LIBRARIES),
    }
    load = "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    info["load average"] = f"{load} (1, 5, 15 min: other work on the machine shares its cores)"
    info.update(extra or {})
    return info


def wait_for_quiet(limit: float = 2.0, patience: float = 300) -> None:
    """Wait (at most `patience` seconds) until the 1-minute load average falls below `limit`: the
    machine is shared, and a benchmark that starts in the middle of someone's test run measures both."""
    deadline = time.monotonic() + patience
    if os.getloadavg()[0] >= limit:
        print(f"waiting up to {patience:.0f} s for the load average to fall below {limit} …", flush=True)
    while os.getloadavg()[0] >= limit and time.monotonic() < deadline:
        time.sleep(5)


def print_machine(extra: dict[str, str] | None = None) -> None:
    print("## machine")
    for key, value in machine(extra).items():
        print(f"  {key}: {value}")
    print(f"  command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print()
    atexit.register(_print_load)


def _print_load() -> None:
    print("\n  load average at the end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


def postgres_version(url: str) -> str:
    import psycopg
    from sqlalchemy.engine import make_url

    u = make_url(url)
    with psycopg.connect(
        host=u.host, port=u.port or 5432, user=u.username, password=u.password, dbname=u.database
    ) as conn:
        return conn.execute("SHOW server_version").fetchone()[0]


def redis_version(url: str) -> str:
    import redis

    return redis.Redis.from_url(url).info("server")["redis_version"]


# --- numbers ---------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank percentile (p in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


def summary_ms(seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return f"n={len(ms)} p50={percentile(ms, 50):.1f} ms p99={percentile(ms, 99):.1f} ms max={max(ms):.1f} ms"


def raise_fd_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def profiled(fn, top: int = 0, cumulative: tuple[str, int] = (r"ecabinet", 25)) -> tuple[float, str]:
    """Run `fn` under cProfile: its wall time under the profiler, and the report — the `top` entries by
    own time (none when 0), then the `cumulative` (pattern, count) entries by cumulative time."""
    import cProfile
    import io
    import pstats

    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.enable()
    fn()
    profile.disable()
    wall = time.perf_counter() - started
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    if top:
        stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(*cumulative)
    return wall, "\n".join(line for line in out.getvalue().splitlines() if line.strip())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def process_status(pid: int | str = "self") -> dict[str, str]:
    """/proc/<pid>/status as a dict (VmRSS, VmHWM, Threads …)."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        out[key] = value.strip()
    return out


def cpu_seconds(pid: int | str = "self") -> float:
    """User + system CPU time a process has used so far (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_cpu_seconds() -> float:
    """CPU time all cores have spent busy so far (/proc/stat: user, nice, system, irq, softirq, steal)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def cpu_seconds_by_pid(command: str) -> dict[str, float]:
    """User + system CPU time used so far by each running process of that name (e.g. "postgres")."""
    found = {}
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and (proc / "comm").read_text().strip() == command:
                found[proc.name] = cpu_seconds(proc.name)
        except OSError:  # it ended meanwhile
            continue
    return found


def cpu_used_since(before: dict[str, float], after: dict[str, float]) -> float:
    """CPU time used between two `cpu_seconds_by_pid` readings (a process that ended in between is
    left out, one that started counts whole)."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


def rss_mib(pid: int | str = "self") -> float:
    return int(process_status(pid)["VmRSS"].split()[0]) / 1024


# --- the database and a cabinet made through the services -------------------------------------


def make_app(database_url: str, storage: str):
    """An app on the given database with cheap password hashing (TestConfig: scrypt N=1024), so
    hundreds of users are made in seconds; a server started on the same database reads them."""
    from ecabinet import create_app
    from ecabinet.config import TestConfig

    return create_app(TestConfig(database_url, storage))


def fresh_schema(app) -> None:
    """Drop and create every table (the database must be one kept for benchmarks)."""
    from sqlalchemy import text

    from ecabinet.extensions import db

    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            db.drop_all()
            db.session.execute(text("DROP FUNCTION IF EXISTS audit_entries_append_only() CASCADE"))
            db.session.commit()
        db.create_all()


def make_users(prefix: str, count: int, roles: tuple[str, ...] = ("member",)) -> list:
    """Users made with the service layer, in the caller's app context; not committed."""
    from ecabinet.auth import service as auth

    return [
        auth.create_user(
            None,
            username=f"{prefix}{n:04d}",
            full_name=f"Thành viên {prefix} {n:04d}",
            password=PASSWORD,
            roles=roles,
        )
        for n in range(1, count + 1)
    ]


def make_meeting(secretariat, participants: list, *, status: str = "in_progress", **fields):
    """A meeting made by the secretariat and walked to `status`, in the caller's app context."""
    from ecabinet.extensions import db
    from ecabinet.meetings import service as meetings

    meeting = meetings.create_meeting(
        secretariat,
        title=fields.pop("title", "Phiên họp Chính phủ thường kỳ (benchmark)"),
        starts_at=datetime.now(UTC) + timedelta(days=1),
        location="Phòng họp Chính phủ",
        participants=[u.id for u in participants],
        **fields,
    )
    db.session.flush()
    for action, reached in (("publish", "published"), ("start", "in_progress")):
        if meeting.status == status:
            break
        meetings.change_status(secretariat, meeting.id, action)
        assert meeting.status == reached
    return meeting


def api_login(base_url: str, username: str, session: requests.Session | None = None) -> str:
    response = (session or requests).post(
        f"{base_url}/api/v1/auth/login", json={"username": username, "password": PASSWORD}, timeout=30
    )
    response.raise_for_status()
    return response.json()["token"]


# --- a real server on loopback -----------------------------------------------------------------


class Server:
    """`gunicorn -c gunicorn.conf.py --bind 127.0.0.1:PORT <app>` from the repository root."""

    def __init__(self, workdir: Path, app: str = "wsgi:app", env: dict[str, str] | None = None, args=()):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / f"gunicorn-{self.port}.log"
        instance = workdir / f"instance-{self.port}"
        instance.mkdir(parents=True, exist_ok=True)
        self.env = {
            **os.environ,
            "ECABINET_INSTANCE": str(instance),
            "SECRET_KEY": "bench-secret-key",
            # The secretariat's tablet logs in with its password alone: a benchmark measures meetings.
            "ECABINET_MFA_REQUIRED_ROLES": "",
            "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "bench")]),
            **(env or {}),
        }
        self.command = [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{self.port}",
            *args,
            app,
        ]
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> Server:
        log = open(self.log_path, "wb")  # noqa: SIM115 (the child holds it; closed with the server)
        self.process = subprocess.Popen(self.command, cwd=REPO, env=self.env, stdout=log, stderr=log)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log_path.read_text()[-3000:]}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer within {timeout} s: {self.log_path.read_text()[-3000:]}")

    def errors(self) -> dict[str, int]:
        """The exceptions the server logged (the last line of each traceback), with their counts."""
        found: dict[str, int] = {}
        lines = self.log_path.read_text(errors="replace").splitlines()
        for line, following in zip(lines, [*lines[1:], ""], strict=True):
            if re.match(r"^[\w.]+(Error|Exception|Exit)\b", line) and not following.startswith(" "):
                found[line[:200]] = found.get(line[:200], 0) + 1
        return found

    def worker_pid(self) -> int:
        """gunicorn's worker process (the master's other child runs the job workers)."""
        assert self.process is not None
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        return next(int(c) for c in children if b"gunicorn" in Path(f"/proc/{c}/cmdline").read_bytes())

    def worker_status(self) -> dict[str, float]:
        status = process_status(self.worker_pid())
        return {
            "rss_mib": int(status["VmRSS"].split()[0]) / 1024,
            "peak_rss_mib": int(status["VmHWM"].split()[0]) / 1024,
            "threads": int(status["Threads"]),
        }

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        workers = []
        with suppress(OSError, IndexError):
            workers = [self.worker_pid()]
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        for pid in workers:  # a worker that outlived its master
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


@contextmanager
def servers(*all_servers: Server):
    try:
        for server in all_servers:
            server.start()
        yield all_servers
    finally:
        for server in all_servers:
            server.stop()


@contextmanager
def workdir(prefix: str, keep: bool = False):
    path = Path(tempfile.mkdtemp(prefix=f"ecabinet-bench-{prefix}-"))
    try:
        yield path
    finally:
        if not keep:
            shutil.rmtree(path, ignore_errors=True)


def text_pdf(pages: int, title: str = "Tờ trình") -> bytes:
    """A small text PDF made with ecabinet's own fpdf2 setup (embedded Vietnamese font)."""
    from ecabinet.common.pdfgen import new_document, to_bytes

    pdf = new_document()
    for number in range(1, pages + 1):
        pdf.add_page()
        pdf.multi_cell(0, 16, f"{title} — trang {number}\n" + "Nội dung dự thảo nghị định. " * 40)
    return to_bytes(pdf)


def upload(secretariat, item_id: int, data: bytes, title: str):
    """A document uploaded through the service and committed, its text extracted before returning
    (in place: outside a server process, jobs run in the calling process)."""
    import io

    from ecabinet.documents import service as documents
    from ecabinet.extensions import db

    document = documents.upload_document(secretariat, item_id, io.BytesIO(data), f"{title}.pdf", title)
    db.session.commit()
    return document
