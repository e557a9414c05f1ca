"""The devices page of every user, and the admin's user page acting on that user's devices."""

from __future__ import annotations

from tests.helpers import assert_error, ok


def test_a_member_sees_and_logs_out_their_devices(pages, cabinet):
    member = cabinet.members[0]
    tablet = cabinet.api(member)
    page = pages(member)
    (tablet_device, _browser_device) = ok(tablet.get("/me/devices"))
    text = page.text("/devices")
    assert "Thiết bị này" in text and text.count("data-device=") == 2

    response = page.post(f"/devices/{tablet_device['id']}/revoke", page="/devices")
    assert response.status_code == 302 and response.headers["Location"].endswith("/devices")
    assert "Thiết bị đã được đăng xuất." in page.text("/devices")
    assert_error(tablet.get("/me"), 401, "bad_token")
    assert page.text("/devices").count("data-device=") == 1


def test_a_member_wipes_their_lost_tablet_but_not_someone_elses(pages, cabinet):
    member, other = cabinet.members[0], cabinet.members[1]
    tablet = cabinet.api(member)
    (their_device,) = ok(cabinet.api(other).get("/me/devices"))
    (tablet_device,) = ok(tablet.get("/me/devices"))
    page = pages(member)
    page.post(f"/devices/{their_device['id']}/wipe", page="/devices")
    assert ok(cabinet.api(other).get("/me"))["id"] == other.id  # not found: nothing done

    page.post(f"/devices/{tablet_device['id']}/wipe", page="/devices")
    assert "Đã xoá dữ liệu" in page.text("/devices")
    assert_error(tablet.get("/me"), 401, "device_wiped")


def test_the_admin_acts_on_a_users_devices_from_the_users_page(pages, cabinet):
    member = cabinet.members[0]
    tablet = cabinet.api(member)
    (device,) = ok(tablet.get("/me/devices"))
    user_page = f"/admin/users/{member.id}"
    # A member may not use the admin's form on another user's devices.
    pages(cabinet.members[1]).post(f"{user_page}/devices/{device['id']}/revoke", page="/devices")
    assert ok(tablet.get("/me"))["id"] == member.id

    admin = pages(cabinet.admin)
    assert f'data-device="{device["id"]}"' in admin.text(user_page)
    response = admin.post(f"{user_page}/devices/{device['id']}/wipe", page=user_page)
    assert response.headers["Location"].endswith(user_page)
    assert_error(tablet.get("/me"), 401, "device_wiped")


def test_a_page_of_a_wiped_browser_leads_to_the_login_page_that_says_so(pages, cabinet):
    member = cabinet.members[0]
    page = pages(member)
    (device,) = ok(cabinet.api(cabinet.admin).get(f"/users/{member.id}/devices"))
    ok(cabinet.api(cabinet.admin).post(f"/users/{member.id}/devices/{device['id']}/wipe"))
    response = page.get("/meetings")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login?wiped=1")
    assert "data-device-wiped" in page.text("/login?wiped=1")
