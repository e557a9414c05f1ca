"""Two server processes, one cabinet: an event caused through one reaches a tablet on the other.

Runs in the PostgreSQL pass of the suite (both processes must share a database) and needs Redis,
the Socket.IO message queue between them.
"""

from __future__ import annotations

import queue

import pytest
import requests
import socketio

from tests.conftest import POSTGRES_URL
from tests.gunicorn_server import REDIS_URL, api_token, gunicorn, require_redis

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(
        not POSTGRES_URL, reason="runs in the PostgreSQL pass: both processes need one database"
    ),
]


@pytest.fixture
def two_servers(app, tmp_path):
    require_redis()
    env = {
        "DATABASE_URL": POSTGRES_URL,
        "SOCKETIO_MESSAGE_QUEUE": REDIS_URL,
        "SECRET_KEY": "scale-out-test",
        "ECABINET_INSTANCE": str(tmp_path / "instance"),
        "ECABINET_STORAGE": str(tmp_path / "storage"),
    }
    with gunicorn(env, tmp_path, processes=2) as urls:
        yield urls


def test_event_through_process_a_reaches_a_tablet_on_process_b(cabinet, two_servers):
    meeting = cabinet.meeting("published")
    a, b = two_servers
    member_token = api_token(b, cabinet.members[0].username)
    secretariat_token = api_token(a, cabinet.secretariat.username)
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
        assert event["type"] == "meeting.status" and event["data"]["status"] == "in_progress"
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
