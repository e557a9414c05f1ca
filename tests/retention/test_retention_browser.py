"""Retention in the browser: a member reads when their private notes go; an administrator who sees the
meeting places a legal hold from its page and the page says it is held."""

from __future__ import annotations

import pytest

from tests.browser import ARTIFACTS, log_in
from tests.helpers import ok

pytestmark = pytest.mark.browser


def test_a_hold_placed_from_the_meeting_page_shows_to_its_members(cabinet, make_user, server_url, browser):
    meeting = cabinet.meeting("closed", retention_days=30)
    keeper = make_user("admin", "secretariat", username="luutru", full_name="Lưu trữ Văn phòng")
    shots = ARTIFACTS / "retention"
    shots.mkdir(parents=True, exist_ok=True)
    path = f"{server_url}/meetings/{meeting['id']}"

    member = browser.new_page(viewport={"width": 1024, "height": 768})
    log_in(member, server_url, cabinet.members[0].username)
    member.goto(path)
    assert "Ghi chú riêng của bạn sẽ bị xoá vào ngày" in member.locator(".retention").inner_text()
    member.screenshot(path=str(shots / "member-before.png"))

    admin = browser.new_page(viewport={"width": 1024, "height": 768})
    log_in(admin, server_url, keeper.username)
    admin.goto(path)
    admin.fill(".retention input[name=reason]", "Thanh tra Chính phủ yêu cầu giữ hồ sơ")
    admin.click(".retention button[type=submit]")
    admin.wait_for_selector(".retention .danger-outline")
    admin.screenshot(path=str(shots / "admin-held.png"))
    assert ok(cabinet.api(cabinet.secretariat).get(f"/meetings/{meeting['id']}"))["held"] is True

    member.reload()
    assert "Phiên họp đang được lưu giữ theo yêu cầu pháp lý" in member.locator(".retention").inner_text()
    member.screenshot(path=str(shots / "member-held.png"))
