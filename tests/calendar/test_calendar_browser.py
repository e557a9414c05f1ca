"""A member finds their calendar's address from their own page, and gives it a new one."""

from __future__ import annotations

import pytest
import requests

from tests.browser import Device, assert_accessible, sticking_out


@pytest.mark.browser
def test_a_member_renews_the_calendar_address_from_their_page(cabinet, server_url, browser):
    cabinet.meeting("published", title="Phiên họp Chính phủ thường kỳ tháng 11/2026")
    tablet = Device(browser, server_url, cabinet.members[0], "calendar")
    page = tablet.page
    page.goto(f"{server_url}/devices")
    page.get_by_role("link", name="Địa chỉ lịch").click()
    address = page.get_by_label("Địa chỉ lịch")
    old = address.input_value()
    feed = requests.get(old, timeout=10)
    assert feed.status_code == 200 and "Phiên họp Chính phủ thường kỳ tháng 11/2026" in feed.text
    assert_accessible(page, "the calendar page")
    assert sticking_out(page) == {}
    tablet.shot("address")

    tablet.submit(page.get_by_role("button", name="Đổi địa chỉ"))
    assert tablet.asked and "địa chỉ mới" in tablet.asked[0]
    assert "Lịch của bạn đã có địa chỉ mới" in page.locator(".flash.success").inner_text()
    new = page.get_by_label("Địa chỉ lịch").input_value()
    assert new != old
    assert requests.get(old, timeout=10).status_code == 404
    assert requests.get(new, timeout=10).status_code == 200
    tablet.shot("renewed")
    assert tablet.close() == []
