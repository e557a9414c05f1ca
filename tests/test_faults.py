"""Faults a meeting must survive: the database briefly out of reach, Redis down, a server killed mid-vote.

Each fault is the test's own — a TCP proxy it cuts between the app and PostgreSQL, an error injected at
SQLite's engine, a Redis server it starts and stops on a free port, a server process it kills — so
that no other test loses the machine's shared PostgreSQL or Redis.
"""

from __future__ import annotations

import re
import socket
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import event

from ecabinet import create_app
from ecabinet.config import TestConfig
from ecabinet.extensions import db
from tests.conftest import PASSWORD, POSTGRES_URL, Api
from tests.helpers import assert_error, ok


class CuttableLink:
    """A TCP proxy between the app and the database that the test cuts (every connection dropped, new
    ones refused at once, as while PostgreSQL restarts) and mends."""

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.cut_off = threading.Event()
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            if self.cut_off.is_set():
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> None:
        self.cut_off.set()
        with self.lock:
            dropped, self.sockets = self.sockets, []
        for s in dropped:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def mend(self) -> None:
        self.cut_off.clear()

    def close(self) -> None:
        self.cut()
        self.listener.close()


class SqliteOutage:
    """SQLite cannot be reached or locked in time: every statement fails as the driver fails then."""

    def __init__(self, app):
        self.down = threading.Event()
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", self._refuse)

    def _refuse(self, *_args) -> None:
        if self.down.is_set():
            raise sqlite3.OperationalError("database is locked")

    def cut(self) -> None:
        self.down.set()

    def mend(self) -> None:
        self.down.clear()


@pytest.fixture
def reachable(app, tmp_path):
    """(the app to call, the outage to cut and mend): PostgreSQL behind the test's proxy, or SQLite."""
    if not POSTGRES_URL:
        yield app, SqliteOutage(app)
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
    for _, response in [d for d in during if d[0] != "page"]:
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
    statuses = {kind: sorted({r.status_code for k, r in after if k == kind}) for kind in ("read", "cast", "page")}
    assert statuses == {"read": [200], "cast": [200, 201], "page": [200]}, statuses
    counted = ok(sec.get(f"/votes/{vote['id']}"))
    assert counted["cast"] == len(voters) and counted["counts"]["yes"] == len(voters)
