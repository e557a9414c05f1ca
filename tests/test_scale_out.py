"""Two server processes, one cabinet: an event caused through one reaches a tablet on the other.

Runs in the PostgreSQL pass of the suite (both processes must share a database) and needs Redis,
the Socket.IO message queue between them.
"""

from __future__ import annotations

import os
import queue
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import socketio

from tests.conftest import PASSWORD, POSTGRES_URL

REPO = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _redis_up() -> bool:
    host, port = REDIS_URL.split("//", 1)[1].split("/", 1)[0].split(":")
    try:
        with socket.create_connection((host, int(port)), timeout=2) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(
        not POSTGRES_URL, reason="runs in the PostgreSQL pass: both processes need one database"
    ),
]


@pytest.fixture
def two_servers(app, tmp_path):
    if not _redis_up():
        if os.environ.get("REQUIRE_REDIS") == "1":
            pytest.fail(f"Redis is required (REQUIRE_REDIS=1) but does not answer at {REDIS_URL}")
        pytest.skip(f"no Redis at {REDIS_URL}")
    env = {
        **os.environ,
        "DATABASE_URL": POSTGRES_URL,
        "SOCKETIO_MESSAGE_QUEUE": REDIS_URL,
        "SECRET_KEY": "scale-out-test",
        "ECABINET_INSTANCE": str(tmp_path / "instance"),
        "ECABINET_STORAGE": str(tmp_path / "storage"),
    }
    servers = []
    for _ in range(2):
        port = _free_port()
        log = open(tmp_path / f"gunicorn-{port}.log", "wb")  # noqa: SIM115 (closed below)
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--config",
                "gunicorn.conf.py",
                "--bind",
                f"127.0.0.1:{port}",
                "wsgi:app",
            ],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
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
                assert process.poll() is None, f"server exited; see {tmp_path}"
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        yield [url for url, _, _ in servers]
    finally:
        for _, process, log in servers:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
            log.close()


def _token(url: str, username: str) -> str:
    r = requests.post(
        f"{url}/api/v1/auth/login", json={"username": username, "password": PASSWORD}, timeout=10
    )
    assert r.status_code == 200, r.text
    return r.json()["token"]


def test_event_through_process_a_reaches_a_tablet_on_process_b(cabinet, two_servers):
    meeting = cabinet.meeting("published")
    a, b = two_servers
    member_token = _token(b, cabinet.members[0].username)
    secretariat_token = _token(a, cabinet.secretariat.username)
    received: queue.Queue = queue.Queue()
    tablet = socketio.Client(reconnection=False)
    tablet.on("event", received.put)
    tablet.connect(b, auth={"token": member_token}, transports=["websocket"], wait_timeout=10)
    try:
        ack = tablet.call("join", {"meeting_id": meeting["id"]}, timeout=10)
        assert ack["ok"] is True
        r = requests.post(
            f"{a}/api/v1/meetings/{meeting['id']}/start",
            headers={"Authorization": f"Bearer {secretariat_token}"},
            timeout=10,
        )
        assert r.status_code == 200, r.text
        event = received.get(timeout=10)
        assert event["type"] == "meeting.status" and event["data"] == {"status": "in_progress"}
        assert event["seq"] == ack["seq"] + 1
        # And the other way round, with the sequence still gap-free across processes.
        requests.post(
            f"{b}/api/v1/meetings/{meeting['id']}/agenda",
            json={"title": "Mục bổ sung"},
            headers={"Authorization": f"Bearer {secretariat_token}"},
            timeout=10,
        )
        second = received.get(timeout=10)
        assert second["type"] == "agenda.changed" and second["seq"] == event["seq"] + 1
    finally:
        tablet.disconnect()
