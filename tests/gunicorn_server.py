"""ecabinet served the way production serves it: gunicorn with gunicorn.conf.py, in processes of its own."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parent.parent
# The Redis that servers in scale-out share (the Socket.IO message queue, the job queue).
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def require_redis() -> None:
    """Skip the test when no Redis answers at REDIS_URL; fail it instead where CI sets REQUIRE_REDIS=1."""
    host, port = REDIS_URL.split("//", 1)[1].split("/", 1)[0].split(":")
    try:
        with socket.create_connection((host, int(port)), timeout=2) as conn:
            conn.sendall(b"PING\r\n")
            if conn.recv(16).startswith(b"+PONG"):
                return
    except OSError:
        pass
    if os.environ.get("REQUIRE_REDIS") == "1":
        pytest.fail(f"Redis is required (REQUIRE_REDIS=1) but does not answer at {REDIS_URL}")
    pytest.skip(f"no Redis at {REDIS_URL}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(env: dict[str, str], logs: Path, processes: int = 1) -> Iterator[list[str]]:
    """`processes` servers on free loopback ports with the environment `env` added; their base URLs.
    As in the tests' own app (TestConfig), every role logs in with its password alone unless `env` says
    otherwise."""
    env = {**os.environ, "ECABINET_MFA_REQUIRED_ROLES": "", **env}
    servers = []
    for _ in range(processes):
        port = _free_port()
        log = open(logs / f"gunicorn-{port}.log", "wb")  # noqa: SIM115 (closed below)
        command = [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py"]
        process = subprocess.Popen(
            [*command, "--bind", f"127.0.0.1:{port}", "wsgi:app"],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its workers and job workers are its group: killed with it if need be
        )
        servers.append((f"http://127.0.0.1:{port}", process, log))
    try:
        for url, process, _ in servers:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if requests.get(f"{url}/healthz", timeout=2).ok:
                        break
                except requests.RequestException:
                    pass  # still starting
                assert process.poll() is None, f"server exited; see {logs}"
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        yield [url for url, _, _ in servers]
    finally:
        for _, process, log in servers:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                # Slow to stop on a loaded machine: no worker or job worker of it may outlive the test.
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=15)
            log.close()


def serving_env(app, tmp_path: Path, secret: str) -> dict[str, str]:
    """The environment of a server on the test app's database and files."""
    from tests.conftest import POSTGRES_URL

    return {
        "DATABASE_URL": POSTGRES_URL or app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": secret,
        "ECABINET_INSTANCE": str(tmp_path / "instance"),
        "ECABINET_STORAGE": app.config["ECABINET_STORAGE"],
    }


def api_token(url: str, username: str) -> str:
    """Log in through the served API, as a tablet does; the bearer token."""
    from tests.conftest import PASSWORD

    r = requests.post(
        f"{url}/api/v1/auth/login", json={"username": username, "password": PASSWORD}, timeout=30
    )
    assert r.status_code == 200, r.text
    return r.json()["token"]
