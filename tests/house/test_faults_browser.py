"""The pages ride out faults by themselves: a 503 is asked again after its Retry-After, and an event
lost between the server's processes is fetched once the heartbeat shows the page is behind."""

from __future__ import annotations

import time

import pytest

from ecabinet.extensions import socketio
from tests.faults import EngineOutage
from tests.helpers import ok
from tests.steps import logged_in_page, open_live_meeting

pytestmark = pytest.mark.browser


def _member_page(browser, server_url, member, meeting):
    _, page, errors = logged_in_page(browser, server_url, member)
    open_live_meeting(page, server_url, meeting)
    return page, errors


def test_a_page_catches_up_on_an_event_lost_on_its_way(app, cabinet, server_url, browser, monkeypatch):
    app.config["ECABINET_LIVE_HEARTBEAT_S"] = 1
    meeting = cabinet.meeting("in_progress")
    page, errors = _member_page(browser, server_url, cabinet.members[0], meeting)
    sec = cabinet.api(cabinet.secretariat)
    vote = ok(sec.post(f"/meetings/{meeting['id']}/votes", json={"question": "Thông qua Tờ trình?"}), 201)

    # Every event sent through the message queue is lost, as while Redis is down; the heartbeat,
    # which each process sends its own sockets past the queue, still comes.
    emit = socketio.emit
    monkeypatch.setattr(
        socketio, "emit", lambda *args, **kw: emit(*args, **kw) if kw.get("ignore_queue") else None
    )
    ok(sec.post(f"/votes/{vote['id']}/open"))
    page.locator("#vote-panel .vote-option.opt-yes").wait_for(timeout=10000)
    assert "Thông qua Tờ trình?" in page.locator("#vote-panel").inner_text()
    latest = ok(sec.get(f"/meetings/{meeting['id']}/events?after=0"))[-1]["seq"]
    assert page.evaluate("window.ecabinetMeeting.client.seq") == latest
    assert errors == []


def test_a_cast_met_by_a_database_outage_goes_through_when_it_ends(app, cabinet, server_url, browser):
    meeting = cabinet.meeting("in_progress")
    page, errors = _member_page(browser, server_url, cabinet.members[0], meeting)
    sec = cabinet.api(cabinet.secretariat)
    vote = ok(sec.post(f"/meetings/{meeting['id']}/votes", json={"question": "Thông qua Tờ trình?"}), 201)
    ok(sec.post(f"/votes/{vote['id']}/open"))
    panel = page.locator("#vote-panel")
    panel.locator(".vote-option.opt-yes").click()
    outage = EngineOutage(app)
    outage.cut()
    panel.locator(".vote-confirm-yes").click()
    deadline = time.monotonic() + 10
    while not outage.refused:  # the cast met the outage and was answered 503
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.5)
    outage.mend()
    # Asked again after Retry-After by the page's own script: the member sees the vote recorded.
    panel.locator(".voted-mark", has_text="Đã biểu quyết").wait_for(timeout=10000)
    assert panel.locator(".vote-error").count() == 0
    assert ok(sec.get(f"/votes/{vote['id']}"))["voters"] == {str(cabinet.members[0].id): "yes"}
    assert errors == []
