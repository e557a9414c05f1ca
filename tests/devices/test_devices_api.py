"""Devices: each login is one; the user and the admin list, revoke and wipe them, and a wiped device is
told so at its next call and its next socket connection."""

from __future__ import annotations

import time

import pytest
import socketio
from sqlalchemy import select

from ecabinet.auth.models import ApiToken
from ecabinet.extensions import db
from tests.conftest import PASSWORD, Api
from tests.helpers import assert_error, audit_entries, ok
from tests.live_server import serve
from tests.pages import PageBrowser

IPAD = "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15"


def _login(client, person, **extra) -> Api:
    headers = extra.pop("headers", {})
    response = client.post(
        "/api/v1/auth/login",
        json={"username": person.username, "password": PASSWORD, **extra},
        headers=headers,
    )
    return Api(client, ok(response)["token"])


def test_a_user_lists_their_own_logins_as_devices(client, cabinet):
    member = cabinet.members[0]
    tablet = _login(client, member, device_name="iPad phòng họp")
    browser = _login(client, member, headers={"User-Agent": IPAD})
    _login(client, cabinet.members[1])  # someone else's: not listed

    devices = ok(browser.get("/me/devices"))
    assert [d["name"] for d in devices] == ["iPad phòng họp", "Safari · iPad"]
    assert [d["current"] for d in devices] == [False, True]
    for device in devices:
        assert set(device) == {
            "id", "name", "current", "created_at", "last_seen_at", "address", "user_agent", "wiped"
        }  # fmt: skip
        assert device["wiped"] is False and device["created_at"].endswith("Z")
        assert device["address"] == "127.0.0.1"
    assert devices[1]["user_agent"] == IPAD
    assert [d["current"] for d in ok(tablet.get("/me/devices"))] == [True, False]


def test_another_users_device_is_not_found(client, cabinet):
    mine = _login(client, cabinet.members[0])
    theirs = _login(client, cabinet.members[1])
    (their_device,) = ok(theirs.get("/me/devices"))
    assert_error(mine.delete(f"/me/devices/{their_device['id']}"), 404)
    assert_error(mine.post(f"/me/devices/{their_device['id']}/wipe"), 404)
    assert_error(mine.post("/me/devices/999999/wipe"), 404)
    assert ok(theirs.get("/me"))["username"] == cabinet.members[1].username  # untouched


def test_revoking_a_device_logs_it_out_and_no_other(client, cabinet, app):
    member = cabinet.members[0]
    tablet, phone = _login(client, member), _login(client, member)
    tablet_id = next(d["id"] for d in ok(tablet.get("/me/devices")) if d["current"])
    assert phone.delete(f"/me/devices/{tablet_id}").status_code == 204

    assert_error(tablet.get("/me"), 401, "bad_token")
    assert tablet_id not in [d["id"] for d in ok(phone.get("/me/devices"))]
    assert ok(phone.get("/me"))["id"] == member.id
    (entry,) = [e for e in audit_entries(app) if e["action"] == "device.revoke"]
    assert entry["payload"]["device_id"] == tablet_id


def test_a_wiped_device_is_told_so_at_its_next_call(client, cabinet, app):
    member = cabinet.members[0]
    tablet, phone = _login(client, member), _login(client, member)
    tablet_id = next(d["id"] for d in ok(tablet.get("/me/devices")) if d["current"])
    wiped = ok(phone.post(f"/me/devices/{tablet_id}/wipe"))
    assert wiped["id"] == tablet_id and wiped["wiped"] is True

    assert_error(tablet.get("/me"), 401, "device_wiped")
    assert_error(tablet.post("/auth/logout"), 401, "device_wiped")
    listed = {d["id"]: d["wiped"] for d in ok(phone.get("/me/devices"))}
    assert listed[tablet_id] is True and list(listed.values()).count(True) == 1
    assert [e["payload"]["device_id"] for e in audit_entries(app) if e["action"] == "device.wipe"] == [
        tablet_id
    ]


def test_a_wiped_device_casting_a_vote_is_told_so(client, cabinet):
    """Casts are checked by the batch writer, which looks the token up itself."""
    meeting = cabinet.meeting("in_progress")
    secretariat = cabinet.api(cabinet.secretariat)
    vote = ok(secretariat.post(f"/meetings/{meeting['id']}/votes", json={"question": "Thông qua?"}), 201)
    ok(secretariat.post(f"/votes/{vote['id']}/open"))
    member = cabinet.members[0]
    tablet, phone = _login(client, member), _login(client, member)
    tablet_id = next(d["id"] for d in ok(tablet.get("/me/devices")) if d["current"])
    ok(phone.post(f"/me/devices/{tablet_id}/wipe"))
    assert_error(tablet.post(f"/votes/{vote['id']}/cast", json={"choice": "yes"}), 401, "device_wiped")
    assert_error(tablet.post(f"/votes/{vote['id']}/cast", json=[1]), 401, "device_wiped")


def test_a_wiped_page_session_is_told_so_by_the_api(app, cabinet):
    member = cabinet.members[0]
    page = PageBrowser(app.test_client())
    assert page.login(member).status_code == 302
    (device,) = ok(page.client.get("/api/v1/me/devices"))
    assert device["current"] is True
    ok(cabinet.api(cabinet.admin).post(f"/users/{member.id}/devices/{device['id']}/wipe"))
    assert_error(page.client.get("/api/v1/me"), 401, "device_wiped")


def test_the_admin_manages_any_users_devices(client, cabinet, app):
    member, admin = cabinet.members[0], cabinet.api(cabinet.admin)
    tablet, phone = _login(client, member), _login(client, member)
    tablet_id, phone_id = (d["id"] for d in ok(tablet.get("/me/devices")))
    listed = ok(admin.get(f"/users/{member.id}/devices"))
    assert [d["id"] for d in listed] == [tablet_id, phone_id] and not any(d["current"] for d in listed)

    assert admin.delete(f"/users/{member.id}/devices/{tablet_id}").status_code == 204
    assert_error(tablet.get("/me"), 401, "bad_token")
    assert ok(admin.post(f"/users/{member.id}/devices/{phone_id}/wipe"))["wiped"] is True
    assert_error(phone.get("/me"), 401, "device_wiped")
    actions = [(e["action"], e["payload"].get("device_id")) for e in audit_entries(app)]
    assert ("device.revoke", tablet_id) in actions and ("device.wipe", phone_id) in actions

    # Only the admin; a device named under the wrong user is not found.
    other = cabinet.members[1]
    assert_error(cabinet.api(other).get(f"/users/{member.id}/devices"), 403)
    assert_error(cabinet.api(other).post(f"/users/{member.id}/devices/{phone_id}/wipe"), 403)
    assert_error(admin.post(f"/users/{other.id}/devices/{phone_id}/wipe"), 404)
    assert_error(admin.get("/users/999999/devices"), 404)


def test_a_device_is_seen_again_at_most_once_a_minute(client, cabinet, app):
    member = cabinet.members[0]
    tablet = _login(client, member)
    (device,) = ok(tablet.get("/me/devices"))

    def last_seen():
        with app.app_context():
            return db.session.scalar(select(ApiToken.last_seen_at).where(ApiToken.id == device["id"]))

    first = last_seen()
    ok(tablet.get("/me"))
    time.sleep(0.3)
    assert last_seen() == first  # within the minute: nothing written
    app.config["ECABINET_DEVICE_SEEN_S"] = 0
    ok(tablet.get("/me"))
    deadline = time.monotonic() + 5
    while last_seen() == first and time.monotonic() < deadline:
        time.sleep(0.05)
    assert last_seen() > first


@pytest.fixture
def live_url(app):
    with serve(app) as url:
        yield url


def test_a_wiped_devices_socket_closes_and_is_refused(client, cabinet, live_url):
    member = cabinet.members[0]
    tablet, phone = _login(client, member), _login(client, member)
    tablet_id = next(d["id"] for d in ok(tablet.get("/me/devices")) if d["current"])
    sock = socketio.Client(reconnection=False)
    sock.connect(live_url, auth={"token": tablet.token}, transports=["websocket"], wait_timeout=10)
    try:
        ok(phone.post(f"/me/devices/{tablet_id}/wipe"))
        deadline = time.monotonic() + 10
        while sock.connected and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not sock.connected
    finally:
        sock.disconnect()
    assert _refusal(live_url, auth={"token": tablet.token})["code"] == "device_wiped"


def test_a_wiped_browsers_socket_is_refused(app, cabinet, live_url):
    member = cabinet.members[0]
    page = PageBrowser(app.test_client())
    assert page.login(member).status_code == 302
    (device,) = ok(cabinet.api(cabinet.admin).get(f"/users/{member.id}/devices"))
    ok(cabinet.api(cabinet.admin).post(f"/users/{member.id}/devices/{device['id']}/wipe"))
    cookie = f"session={page.client.get_cookie('session').value}"
    assert _refusal(live_url, headers={"Cookie": cookie})["code"] == "device_wiped"


def _refusal(url: str, **connect) -> dict:
    """What the server said as it refused the connection."""
    refused, told = socketio.Client(reconnection=False), []
    refused.on("connect_error", told.append)
    with pytest.raises(socketio.exceptions.ConnectionError):
        refused.connect(url, transports=["websocket"], wait_timeout=10, **connect)
    assert told
    return told[0]["data"]
