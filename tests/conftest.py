"""Test fixtures: a fresh database per test (SQLite file, or PostgreSQL when TEST_DATABASE_URL names one)."""

from __future__ import annotations

import email
import email.policy
import os
import socket
import tempfile
import time
from dataclasses import dataclass
from email.message import EmailMessage
from itertools import count

import pytest

# Each test process its own instance folder (pytest-xdist workers too), never the developer's.
os.environ["ECABINET_INSTANCE"] = tempfile.mkdtemp(prefix="ecabinet-test-instance-")

from sqlalchemy import text  # noqa: E402

from ecabinet import create_app  # noqa: E402
from ecabinet.audit.models import HEAD_ROW  # noqa: E402
from ecabinet.auth import service as auth_service  # noqa: E402
from ecabinet.common import mail  # noqa: E402
from ecabinet.config import TestConfig  # noqa: E402
from ecabinet.extensions import db, limiter  # noqa: E402
from tests.factories import ThroughHttp, ThroughServices  # noqa: E402

PASSWORD = "correct horse battery"


def _postgres_url() -> str:
    """TEST_DATABASE_URL, one database per pytest-xdist worker (created when missing)."""
    url = os.environ.get("TEST_DATABASE_URL", "")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    from sqlalchemy.engine import make_url

    from tests.prepare_postgres import ensure_database

    return ensure_database(url, f"{make_url(url).database}_{worker}")


POSTGRES_URL = _postgres_url()
_pg_schema_ready = False


def pytest_collection_modifyitems(config, items):
    """What runs in the SQLite pass only, to keep the two passes within CI's 15 minutes: a test that
    touches no database (marked `no_database`) or checks what is the same on any database (`once`)
    proves nothing more on PostgreSQL. Nor does a page test, beyond the role's days: the pages' services
    run on PostgreSQL in the API tests, and the pages themselves in each role's day (tests/days)."""
    if not POSTGRES_URL:
        return
    for item in items:
        if item.get_closest_marker("no_database"):
            reason = "touches no database: runs once, in the SQLite pass"
        elif item.get_closest_marker("once"):
            reason = "checks what is the same on any database: runs once, in the SQLite pass"
        elif item.get_closest_marker("browser") and item.path.parent.name != "days":
            reason = "a page test: on PostgreSQL the pages run in the role's days (tests/days)"
        else:
            continue
        item.add_marker(pytest.mark.skip(reason=reason))


def _database_url(tmp_path) -> str:
    return POSTGRES_URL or f"sqlite:///{tmp_path / 'test.db'}"


def _reset_postgres() -> None:
    global _pg_schema_ready
    if not _pg_schema_ready:
        db.drop_all()
        db.session.execute(text("DROP FUNCTION IF EXISTS audit_entries_append_only() CASCADE"))
        db.session.commit()
        db.create_all()
        _pg_schema_ready = True
    # DELETE, children first, and the sequences set back: a TRUNCATE of the 39 tables took 100 ms a test
    # (new files for each), a minute of the PostgreSQL pass; this takes 8. The audit log alone is
    # truncated: TRUNCATE fires no row triggers, so its append-only guard stays in force for the test.
    db.session.execute(text("TRUNCATE audit_entries"))
    tables = [t.name for t in reversed(db.metadata.sorted_tables) if t.name != "audit_entries"]
    db.session.execute(text("; ".join(f'DELETE FROM "{name}"' for name in tables)))
    sequences = db.session.scalars(
        text(
            "SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = current_schema()"
        )
    ).all()
    db.session.execute(text("SELECT " + ", ".join(f"setval('\"{name}\"', 1, false)" for name in sequences)))
    db.session.execute(text(HEAD_ROW))
    db.session.commit()


@pytest.fixture
def app(tmp_path):
    config = TestConfig(_database_url(tmp_path), str(tmp_path / "storage"))
    app = create_app(config)
    with app.app_context():
        if POSTGRES_URL:
            _reset_postgres()
        else:
            db.create_all()
        limiter.reset()
    # No app context stays pushed: each request gets its own `g`, as in production.
    yield app
    # Background mail queued by the test finishes on this app's database before the database goes, so
    # no connection is left behind in a pool nobody closes. (Jobs run in place outside a server.)
    mail.wait_idle()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


class Api:
    """A tablet talking to /api/v1 with a bearer token."""

    def __init__(self, client, token: str | None = None):
        self.client = client
        self.token = token

    def _headers(self, extra=None):
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        headers.update(extra or {})
        return headers

    def call(self, method: str, path: str, json=None, **kw):
        headers = self._headers(kw.pop("headers", None))
        kw.setdefault("buffered", True)  # read the body now and close the file behind a download
        return self.client.open(f"/api/v1{path}", method=method, json=json, headers=headers, **kw)

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, json=None, **kw):
        return self.call("POST", path, json=json, **kw)

    def put(self, path, json=None, **kw):
        return self.call("PUT", path, json=json, **kw)

    def patch(self, path, json=None, **kw):
        return self.call("PATCH", path, json=json, **kw)

    def delete(self, path, **kw):
        return self.call("DELETE", path, **kw)


_names = count(1)


@dataclass(frozen=True)
class Person:
    id: int
    username: str
    full_name: str
    roles: tuple[str, ...]


@pytest.fixture
def make_user(app):
    def make(*roles: str, username: str | None = None, full_name: str | None = None, **kw) -> Person:
        n = next(_names)
        with app.app_context():
            user = auth_service.create_user(
                None,
                username=username or f"user{n}",
                full_name=full_name or f"Người dùng {n}",
                password=PASSWORD,
                roles=roles or ("member",),
                **kw,
            )
            db.session.commit()
            return Person(user.id, user.username, user.full_name, tuple(user.roles))

    return make


@pytest.fixture
def api_for(client):
    def login(user) -> Api:
        response = client.post("/api/v1/auth/login", json={"username": user.username, "password": PASSWORD})
        assert response.status_code == 200, response.get_json()
        return Api(client, response.get_json()["token"])

    return login


class Cabinet:
    """A small cabinet: the people most tests need, each with a logged-in API client, and the meetings
    they meet in, built through the API or the services (tests/factories.py) as `via` says."""

    def __init__(self, app, make_user, api_for, via: str = "http"):
        self.admin = make_user("admin", username="admin")
        self.secretariat = make_user("secretariat", username="vpcp", full_name="Văn phòng Chính phủ")
        self.clerk = make_user("clerk", username="thuky", full_name="Thư ký Phiên họp")
        self.chair = make_user("member", username="thutuong", full_name="Nguyễn Văn Thủ Tướng")
        self.members = [
            make_user("member", username=f"botruong{i}", full_name=f"Bộ trưởng Số {i}") for i in range(1, 4)
        ]
        self.observer = make_user("observer", username="khach", full_name="Khách mời")
        self.outsider = make_user("member", username="ngoai", full_name="Thành viên không dự")
        self._api_for = api_for
        self._clients = {}
        self._builders = {"http": ThroughHttp(self.api), "service": ThroughServices(app)}
        self.via = via

    def api(self, user) -> Api:
        if user.id not in self._clients:
            self._clients[user.id] = self._api_for(user)
        return self._clients[user.id]

    @property
    def participants(self):
        return [self.chair, *self.members, self.observer]

    def meeting(self, status: str = "draft", via: str | None = None, **overrides) -> dict:
        """A meeting made by the secretariat, walked to `status`, as the API answers it."""
        body = {
            "title": "Phiên họp Chính phủ thường kỳ tháng 11/2026",
            "starts_at": "2026-11-30T08:30:00+07:00",
            "location": "Phòng họp Chính phủ",
            "chair_id": self.chair.id,
            "participants": [u.id for u in self.participants],
        }
        body.update(overrides)
        return self._builders[via or self.via].meeting(self.secretariat, body, status)

    def item(
        self, meeting_id: int, title: str = "Dự án Luật Đất đai (sửa đổi)", via: str | None = None, **fields
    ) -> dict:
        return self._builders[via or self.via].item(self.secretariat, meeting_id, {"title": title, **fields})


@pytest.fixture
def cabinet(request, app, make_user, api_for):
    # A module or test marked `built_by_services` only needs its meetings to be there.
    via = "service" if request.node.get_closest_marker("built_by_services") else "http"
    return Cabinet(app, make_user, api_for, via)


class MailSink:
    """An SMTP server on a free loopback port that keeps what it is sent (aiosmtpd's handler)."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append(envelope)
        return "250 OK"

    def received(self, count: int) -> list[tuple[list[str], EmailMessage]]:
        """(recipients, message) of the first `count` mails, once `count` have come (a few seconds at most)."""
        mail.wait_idle()
        deadline = time.monotonic() + 5
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.messages) == count, [m.rcpt_tos for m in self.messages]
        return [
            (m.rcpt_tos, email.message_from_bytes(m.content, policy=email.policy.default))
            for m in self.messages
        ]


@pytest.fixture
def smtp_sink(app):
    """The app's mail goes to a MailSink for the test's length."""
    from aiosmtpd.controller import Controller

    sink = MailSink()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    yield sink
    controller.stop()


@pytest.fixture
def pages(app):
    """A browser on the HTML pages without scripts (tests/pages.py): `pages(person)` logged in as
    that person through the form, `pages()` logged in as no one."""
    from tests.pages import PageBrowser, logged_in

    def open_for(person=None) -> PageBrowser:
        return PageBrowser(app.test_client()) if person is None else logged_in(app, person)

    return open_for


@pytest.fixture
def document(cabinet):
    """A published meeting's two-page paper, whose first page holds steps.WORDS for a reader to mark."""
    from tests.helpers import ok
    from tests.pdfs import make_pdf, upload
    from tests.steps import WORDS

    meeting = cabinet.meeting("published")
    item = cabinet.item(meeting["id"], "Dự án Luật Đất đai (sửa đổi)")
    pdf = make_pdf(f"Điều 1. {WORDS} của Luật Đất đai", "Điều 2. Đối tượng áp dụng")
    return ok(upload(cabinet.api(cabinet.secretariat), item["id"], pdf, title="Dự thảo Luật Đất đai"), 201)


@pytest.fixture
def ministries(cabinet):
    """Two ministries, their ministers and a decided item, for tasks to be given (tests/ministries.py)."""
    from tests.ministries import Ministries

    return Ministries(cabinet)


@pytest.fixture
def server_url(app):
    """The app served over real HTTP (and Socket.IO) on a free loopback port for the test's length."""
    from tests.live_server import serve

    with serve(app) as url:
        yield url


@pytest.fixture
def browser(server_url):
    """Headless Chromium; set up after the server, so closed before it: its sockets end first."""
    from tests.browser import CHROMIUM, CHROMIUM_ARGS, PolicedBrowser, sync_playwright

    with sync_playwright()() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        policed = PolicedBrowser(chromium)
        try:
            yield policed
        finally:
            chromium.close()
        assert policed.violations == [], "the pages broke the Content-Security-Policy:\n" + "\n".join(
            policed.violations
        )
