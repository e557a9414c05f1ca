"""Faults a meeting must survive: the database briefly out of reach, Redis down, a server killed mid-vote.

Each fault is the test's own — a TCP proxy it cuts between the app and PostgreSQL, an error injected at
SQLite's engine, a Redis server it starts and stops on a free port, a server process it kills — so
that no other test loses the machine's shared PostgreSQL or Redis.
"""

from __future__ import annotations

import logging
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest
import requests
import socketio
from sqlalchemy import func, select

from ecabinet import create_app
from ecabinet.audit import service as audit
from ecabinet.audit.models import AuditEntry
from ecabinet.config import TestConfig
from ecabinet.extensions import db
from ecabinet.live.models import MeetingEvent
from tests.conftest import PASSWORD, POSTGRES_URL, Api
from tests.faults import CuttableLink, EngineOutage
from tests.gunicorn_server import _free_port, api_token, gunicorn, serving_env
from tests.helpers import assert_error, ok, vote_open_to


@pytest.fixture
def reachable(app, tmp_path):
    """(the app to call, the outage to cut and mend): PostgreSQL behind the test's proxy, or SQLite
    failing at its engine."""
    if not POSTGRES_URL:
        yield app, EngineOutage(app)
        return
    from sqlalchemy.engine import make_url

    url = make_url(POSTGRES_URL)
    link = CuttableLink(url.host or "127.0.0.1", url.port or 5432)
    proxied = url.set(host="127.0.0.1", port=link.port).render_as_string(hide_password=False)
    behind = create_app(TestConfig(proxied, app.config["ECABINET_STORAGE"]))
    try:
        yield behind, link
    finally:
        link.close()
        with behind.app_context():
            db.engine.dispose()


def test_database_unreachable_under_load_answers_503_then_recovers(cabinet, reachable):
    app, outage = reachable
    meeting = cabinet.meeting("in_progress")
    sec = cabinet.api(cabinet.secretariat)
    vote = ok(sec.post(f"/meetings/{meeting['id']}/votes", json={"question": "Thông qua Tờ trình?"}), 201)
    ok(sec.post(f"/votes/{vote['id']}/open"))
    voters = [cabinet.chair, *cabinet.members]
    tablets = {p.id: Api(app.test_client(), cabinet.api(p).token) for p in voters}
    chair = tablets[cabinet.chair.id]
    assert ok(chair.get(f"/meetings/{meeting['id']}"))["id"] == meeting["id"]  # the proxy carries it
    browser = app.test_client()  # the secretariat's browser, logged in through the form
    form = re.search(r'name="csrf_token" value="([^"]+)"', browser.get("/login").get_data(as_text=True))
    login = {"csrf_token": form.group(1), "username": cabinet.secretariat.username, "password": PASSWORD}
    assert browser.post("/login", data=login).status_code == 302

    def load(n: int):
        """What a room full of tablets sends at once: reads, casts (each with its own id), a page."""
        person = voters[(n // 4) % len(voters)]
        tablet = tablets[person.id]
        kind = n % 4
        if kind == 0:
            return "read", tablet.get(f"/meetings/{meeting['id']}")
        if kind == 1:
            return "read", tablet.get(f"/meetings/{meeting['id']}/events?after=0")
        if kind == 2:
            return "cast", tablet.post(
                f"/votes/{vote['id']}/cast", json={"choice": "yes", "client_id": f"cast-{person.id}"}
            )
        return "page", browser.get(f"/meetings/{meeting['id']}")

    outage.cut()
    with ThreadPoolExecutor(8) as pool:
        during = list(pool.map(load, range(48)))
    for _, response in during:
        assert response.status_code == 503, (response.status_code, response.get_data(as_text=True)[:300])
        assert response.headers["Retry-After"] == "2"
    for kind, response in during:
        if kind == "page":
            assert "Máy chủ tạm thời không phục vụ được" in response.get_data(as_text=True)
        else:
            assert_error(response, 503, "unavailable")
    # A login is refused the same way, not with a 500.
    login = app.test_client().post(
        "/api/v1/auth/login", json={"username": cabinet.members[0].username, "password": "x"}
    )
    assert login.status_code == 503 and login.headers["Retry-After"]

    outage.mend()
    # Each tablet asks again, as its script does after Retry-After: everything goes through, each cast once.
    with ThreadPoolExecutor(8) as pool:
        after = list(pool.map(load, range(48)))
    statuses = {
        kind: sorted({r.status_code for k, r in after if k == kind}) for kind in ("read", "cast", "page")
    }
    assert statuses == {"read": [200], "cast": [200, 201], "page": [200]}, statuses
    counted = ok(sec.get(f"/votes/{vote['id']}"))
    assert counted["cast"] == len(voters) and counted["counts"]["yes"] == len(voters)


@contextmanager
def private_redis(tmp_path) -> Iterator[RedisServer]:
    server = RedisServer(_free_port(), tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


class RedisServer:
    """A redis-server of the test's own on a free port, to stop and start (never the machine's, on 6379)."""

    def __init__(self, port: int, directory):
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.directory = directory
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        self.process = subprocess.Popen(
            [*command, "--appendonly", "no", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not self.answers():
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None


REDIS_SERVER = shutil.which("redis-server")


@pytest.mark.redis
@pytest.mark.skipif(not POSTGRES_URL, reason="runs in the PostgreSQL pass: both processes need one database")
@pytest.mark.skipif(not REDIS_SERVER, reason="needs redis-server to run a Redis of the test's own")
def test_redis_down_logins_go_on_and_a_tablet_catches_up_on_what_it_missed(cabinet, tmp_path):
    meeting = cabinet.meeting("in_progress")
    with private_redis(tmp_path) as redis:
        env = {
            "DATABASE_URL": POSTGRES_URL,
            "SOCKETIO_MESSAGE_QUEUE": redis.url,
            "RATELIMIT_STORAGE_URI": redis.url,
            "ECABINET_LIVE_HEARTBEAT_S": "1",
            "SECRET_KEY": "faults-test",
            "ECABINET_INSTANCE": str(tmp_path / "instance"),
            "ECABINET_STORAGE": str(tmp_path / "storage"),
        }
        with gunicorn(env, tmp_path, processes=2) as (a, b):
            secretariat = api_token(a, cabinet.secretariat.username)
            tablet = Listener(b, api_token(b, cabinet.members[0].username))
            try:
                joined = tablet.call("join", {"meeting_id": meeting["id"]}, timeout=10)
                assert joined["ok"] is True
                beat = tablet.heartbeats.get(timeout=10)
                assert beat == {"meeting_id": meeting["id"], "seq": joined["seq"]}

                redis.stop()
                # Logins go on, limited by each process on its own; a wrong password is still a 401.
                for url in (a, b):
                    api_token(url, cabinet.chair.username)
                    wrong = {"username": cabinet.chair.username, "password": "sai mật khẩu"}
                    assert (
                        requests.post(f"{url}/api/v1/auth/login", json=wrong, timeout=30).status_code == 401
                    )
                logs = "".join(p.read_text() for p in tmp_path.glob("gunicorn-*.log"))
                assert "falling back to in-memory storage" in logs

                # A change through A while the processes cannot reach each other: the event is lost on
                # its way to B, the heartbeat from B says it exists, and the tablet asks for it.
                added = requests.post(
                    f"{a}/api/v1/meetings/{meeting['id']}/agenda",
                    json={"title": "Mục bổ sung khi Redis ngừng"},
                    headers={"Authorization": f"Bearer {secretariat}"},
                    timeout=10,
                )
                assert added.status_code == 201, added.text
                deadline = time.monotonic() + 10
                while (beat := tablet.heartbeats.get(timeout=10))["seq"] == joined["seq"]:
                    assert time.monotonic() < deadline, "the heartbeat never said there was more"
                assert beat["seq"] == joined["seq"] + 1
                assert tablet.events.empty()
                missed = requests.get(
                    f"{b}/api/v1/meetings/{meeting['id']}/events?after={joined['seq']}",
                    headers={"Authorization": f"Bearer {tablet.token}"},
                    timeout=10,
                ).json()
                assert [(e["seq"], e["type"]) for e in missed] == [(beat["seq"], "agenda.changed")]

                # Redis back: logins and changes go on as before.
                redis.start()
                for url in (a, b):
                    api_token(url, cabinet.members[1].username)
            finally:
                tablet.disconnect()


class Listener(socketio.Client):
    """A tablet's socket that keeps what it hears: events and heartbeats."""

    def __init__(self, url: str, token: str):
        super().__init__(reconnection=False)
        self.token = token
        self.events: queue.Queue = queue.Queue()
        self.heartbeats: queue.Queue = queue.Queue()
        self.on("event", self.events.put)
        self.on("heartbeat", self.heartbeats.put)
        self.connect(url, auth={"token": token}, transports=["websocket"], wait_timeout=10)


STORM = 60


def test_a_server_killed_during_a_vote_storm_loses_and_doubles_nothing(app, cabinet, make_user, tmp_path):
    """kill -9 of the serving process while every member casts; gunicorn starts a new one and each
    tablet whose answer was lost sends its cast again with the same client_id."""
    vote, voters = vote_open_to(cabinet, make_user, STORM)
    sec = cabinet.api(cabinet.secretariat)
    with (
        gunicorn(serving_env(app, tmp_path, "faults-test"), tmp_path) as (url,),
        ThreadPoolExecutor(STORM) as pool,
    ):
        tokens = list(pool.map(lambda person: api_token(url, person.username), voters))
        log = next(tmp_path.glob("gunicorn-*.log"))
        worker = int(re.findall(r"Booting worker with pid: (\d+)", log.read_text())[-1])
        answered = threading.Semaphore(0)
        start = threading.Barrier(STORM + 1)

        def send(n: int) -> int | None:
            """Member n's cast, always with the same client_id; None when no answer came."""
            try:
                r = requests.post(
                    f"{url}/api/v1/votes/{vote['id']}/cast",
                    json={"choice": "yes" if n % 3 else "no", "client_id": f"storm-{n}"},
                    headers={"Authorization": f"Bearer {tokens[n]}"},
                    timeout=30,
                )
                return r.status_code
            except requests.RequestException:
                return None  # lost with the server, or the server not back yet

        def cast(n: int) -> int | None:
            start.wait()
            try:
                return send(n)
            finally:
                answered.release()

        first = [pool.submit(cast, n) for n in range(STORM)]
        start.wait()
        assert answered.acquire(timeout=30)  # the storm is under way: kill the server mid-way
        os.kill(worker, signal.SIGKILL)
        statuses = [f.result() for f in first]
        assert None in statuses and 201 in statuses, statuses  # killed with casts in flight, others done
        assert set(statuses) <= {201, 503, None}, statuses

        # Each tablet without an answer sends the same cast again once the server is back.
        def retry(n: int) -> int:
            deadline = time.monotonic() + 60
            while (status := send(n)) in (None, 503):
                assert time.monotonic() < deadline, "the server did not come back"
                time.sleep(0.2)
            return status

        lost = [n for n, status in enumerate(statuses) if status != 201]
        assert set(pool.map(retry, lost)) <= {200, 201}  # never a 409 that looks like someone else voted
        assert any(
            int(pid) != worker for pid in re.findall(r"Booting worker with pid: (\d+)", log.read_text())
        )

    counted = ok(sec.get(f"/votes/{vote['id']}"))
    no = len(range(0, STORM, 3))
    assert counted["cast"] == STORM and counted["counts"] == {"yes": STORM - no, "no": no, "abstain": 0}
    with app.app_context():
        assert audit.verify().ok
        casts = db.session.scalar(select(func.count()).where(AuditEntry.action == "vote.cast"))
        assert casts == STORM
        seqs = db.session.scalars(
            select(MeetingEvent.seq)
            .where(MeetingEvent.meeting_id == vote["meeting_id"])
            .order_by(MeetingEvent.seq)
        ).all()
        assert seqs == list(range(1, len(seqs) + 1))


def test_one_process_logs_in_while_the_redis_of_its_login_limits_is_gone(app, make_user, caplog):
    """A single server whose login limits count in Redis (RATELIMIT_STORAGE_URI) and Redis unreachable:
    logins are answered from counts kept in memory, still counted, and the log says so (it was a 500).
    The two-process test above runs in the PostgreSQL pass only; this one on either database."""
    config = TestConfig(app.config["SQLALCHEMY_DATABASE_URI"], app.config["ECABINET_STORAGE"])
    config.RATELIMIT_STORAGE_URI = f"redis://127.0.0.1:{_free_port()}/0"  # nothing listens there
    unreached = create_app(config)
    member = make_user("member", username="botruong")
    client = Api(unreached.test_client())
    try:
        with caplog.at_level(logging.WARNING):
            login = client.post("/auth/login", json={"username": member.username, "password": PASSWORD})
        assert login.status_code == 200, login.get_json()
        assert "falling back to in-memory storage" in caplog.text
        wrong = {"username": member.username, "password": "sai"}
        answers = [client.post("/auth/login", json=wrong).status_code for _ in range(6)]
        assert answers == [401] * 5 + [429]
    finally:
        with unreached.app_context():
            db.engine.dispose()
