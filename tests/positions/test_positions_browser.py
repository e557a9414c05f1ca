"""Positions on the pages: a member records theirs on the meeting page with one tap per item, the
secretariat sees it in the table, puts the items nobody objected to in the consent block, and the chair
adopts the block from the console during the session.

Needs Debian's Chromium and the playwright package (see tests/minutes/test_minutes_browser.py).
"""

from __future__ import annotations

import pytest

from tests.browser import Device, assert_accessible
from tests.helpers import ok

pytestmark = pytest.mark.browser


def test_a_member_records_positions_and_the_chair_adopts_the_consent_block(cabinet, server_url, browser):
    from playwright.sync_api import expect

    meeting = cabinet.meeting("published")
    land = cabinet.item(meeting["id"], "Dự án Luật Đất đai (sửa đổi)")
    report = cabinet.item(meeting["id"], "Báo cáo tình hình kinh tế - xã hội tháng 11")
    member = cabinet.members[0]
    url = f"{server_url}/meetings/{meeting['id']}"

    tablet = Device(browser, server_url, member, "positions")
    page = tablet.page
    page.goto(url)
    land_card = page.locator(f"#position-{land['id']}")
    tablet.submit(land_card.get_by_role("button", name="Có ý kiến khác", exact=True))
    assert page.locator(".flash.error").count() == 1  # an objection needs its reason: nothing recorded
    land_card = page.locator(f"#position-{land['id']}")
    land_card.locator("textarea").fill("Cần bổ sung đánh giá tác động")
    tablet.submit(land_card.get_by_role("button", name="Có ý kiến khác", exact=True))
    tablet.submit(
        page.locator(f"#position-{report['id']}").get_by_role(
            "button", name="Không có ý kiến khác", exact=True
        )
    )
    chosen = page.locator(f"#position-{land['id']} .position-choice[aria-pressed='true']")
    assert chosen.inner_text().strip() == "Có ý kiến khác"
    box = chosen.bounding_box()
    assert box["height"] >= 48 and box["width"] >= 120  # a target for a finger on a tablet
    tablet.shot("member-positions")
    assert_accessible(page, "the member's positions")
    assert tablet.close() == []

    desk = Device(browser, server_url, cabinet.secretariat, "positions", {"width": 1280, "height": 800})
    page = desk.page
    page.goto(url)
    row = page.locator(f".positions-table tr[data-item-id='{land['id']}']")
    cell = row.locator(f"td.position[data-user-id='{member.id}']")
    assert "Có ý kiến khác" in cell.inner_text() and "Cần bổ sung đánh giá tác động" in cell.inner_text()
    assert (
        row.locator(f"td.position[data-user-id='{cabinet.members[1].id}']").inner_text().strip()
        == "Chưa trả lời"
    )
    # The post's own answer and the page's reload on the live `agenda.changed` race each other: wait for
    # what the secretariat looks for, whichever page shows it.
    page.get_by_role(
        "button", name="Đưa mọi nội dung không ai có ý kiến khác vào nhóm thông qua không thảo luận"
    ).click()
    expect(page.locator(f".positions-table tr[data-item-id='{report['id']}'] td.consent")).to_have_text(
        "Trong nhóm", timeout=15000
    )
    desk.shot("secretariat-table")
    assert_accessible(page, "the positions table")
    assert desk.close() == []

    ok(cabinet.api(cabinet.secretariat).post(f"/meetings/{meeting['id']}/start"))
    console = Device(browser, server_url, cabinet.chair, "positions", {"width": 1280, "height": 800})
    page = console.page
    page.goto(f"{url}/console")
    page.get_by_role("button", name="Thông qua nhóm nội dung không thảo luận").click()
    page.locator(".consent-adopted").wait_for()
    console.shot("chair-adopted")
    assert console.close() == []
    minutes = ok(cabinet.api(cabinet.secretariat).get(f"/meetings/{meeting['id']}/minutes"))
    decided = {e["agenda_item_id"]: (e["decision"], e["decided_by"]) for e in minutes["entries"]}
    assert decided == {land["id"]: ("", "discussion"), report["id"]: ("Thông qua không thảo luận", "consent")}
