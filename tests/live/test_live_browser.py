"""The live session in a real browser: a member's tablet page follows the meeting over Socket.IO.

The secretariat acts through the API (as its console would); the member's page must show each change
without a reload: a vote appears, is cast with a confirmation, shows its result; the page says when
its connection is gone and catches up on what happened meanwhile once it is back.

Needs Debian's Chromium and the playwright package (the `browser` extra); without them the test is
skipped, unless REQUIRE_BROWSER=1 (CI), where a missing browser is a failure. Playwright downloads no
browser here: it drives /usr/bin/chromium.
"""

from __future__ import annotations

import pytest

from tests.helpers import ok
from tests.steps import logged_in_page, open_live_meeting

pytestmark = pytest.mark.browser


def test_a_member_votes_live_and_the_page_survives_a_lost_connection(cabinet, server_url, browser):
    sec = cabinet.api(cabinet.secretariat)
    member, cleared = cabinet.members[0], cabinet.members[1]
    meeting = cabinet.meeting("in_progress")
    law = cabinet.item(meeting["id"], "Dự án Luật Đất đai (sửa đổi)")
    data = cabinet.item(meeting["id"], "Nghị định quy định chi tiết Luật Dữ liệu")
    secret = cabinet.item(meeting["id"], "Phương án nhân sự", confidential=True, restricted_to=[cleared.id])
    ok(sec.post(f"/meetings/{meeting['id']}/current", json={"agenda_item_id": law["id"]}))

    context, page, errors = logged_in_page(browser, server_url, member)
    open_live_meeting(page, server_url, meeting)
    assert page.locator(f"#item-{law['id']}.current").count() == 1

    # An event about an item this member may not see reaches them as `redacted`: it only moves the
    # count on, and the events after it still apply.
    ok(sec.post(f"/meetings/{meeting['id']}/current", json={"agenda_item_id": secret["id"]}))
    # The member's agenda stops pointing at the item before it, and the banner says what is under way.
    page.locator(".now-banner.hidden-item").wait_for(timeout=10000)
    assert page.locator(".agenda-item.current").count() == 0
    assert "Một nội dung mật bạn không được xem" in page.locator(".now-banner").inner_text()
    assert "Phương án nhân sự" not in page.content()
    vote = ok(
        sec.post(f"/meetings/{meeting['id']}/votes", json={"question": "Thông qua dự án Luật Đất đai"}), 201
    )
    ok(sec.post(f"/votes/{vote['id']}/open"))

    # The vote panel appears without a reload; the choice is confirmed before it is cast.
    panel = page.locator("#vote-panel")
    panel.locator(".vote-option.opt-yes").wait_for(timeout=10000)
    assert "Thông qua dự án Luật Đất đai" in panel.inner_text()
    assert (
        page.evaluate("window.ecabinetMeeting.client.seq")
        == ok(sec.get(f"/meetings/{meeting['id']}/events?after=0"))[-1]["seq"]
    )
    panel.locator(".vote-option.opt-yes").click()
    assert "Xác nhận biểu quyết: Tán thành?" in panel.locator(".vote-confirm").inner_text()
    assert ok(sec.get(f"/votes/{vote['id']}"))["cast"] == 0  # nothing is cast before the confirmation
    panel.locator(".vote-confirm-yes").click()
    panel.locator(".voted-mark", has_text="Đã biểu quyết").wait_for(timeout=10000)
    assert ok(sec.get(f"/votes/{vote['id']}"))["cast"] == 1
    assert ok(sec.get(f"/votes/{vote['id']}"))["voters"] == {str(member.id): "yes"}
    page.wait_for_function(
        "() => document.querySelector('#vote-panel .progress-cast').textContent === '1'", timeout=10000
    )

    # Closed through the API: the result, with counts and the verdict, comes to the page by itself.
    ok(sec.post(f"/votes/{vote['id']}/close"))
    panel.locator(".verdict").wait_for(timeout=10000)
    text = panel.text_content()  # as written, not as CSS capitalises it
    assert "Kết quả biểu quyết" in text and "Không được thông qua" in text  # 1 of 4 is not more than half
    assert panel.locator(".result-row.opt-yes .result-count strong").inner_text() == "1"

    # The connection goes: the banner says so. What happens meanwhile is caught up on its return.
    banner = page.locator(".live-offline")
    assert banner.is_hidden()
    context.set_offline(True)
    banner.wait_for(state="visible", timeout=10000)
    assert "Mất kết nối — đang kết nối lại…" in banner.inner_text()
    ok(sec.post(f"/meetings/{meeting['id']}/current", json={"agenda_item_id": data["id"]}))
    context.set_offline(False)
    banner.wait_for(state="hidden", timeout=30000)
    page.locator(f"#item-{data['id']}.current").wait_for(timeout=10000)
    assert page.locator(".agenda-item.current").count() == 1
    assert "Nghị định quy định chi tiết Luật Dữ liệu" in page.locator(".now-banner").inner_text()

    context.close()
    assert errors == []


def test_events_apply_in_seq_order_and_a_gap_is_filled_from_the_log(cabinet, server_url, browser):
    sec = cabinet.api(cabinet.secretariat)
    meeting = cabinet.meeting("in_progress")
    first = cabinet.item(meeting["id"], "Báo cáo kinh tế - xã hội")
    second = cabinet.item(meeting["id"], "Dự án Luật Đất đai (sửa đổi)")
    context, page, _ = logged_in_page(browser, server_url, cabinet.members[0])
    open_live_meeting(page, server_url, meeting)
    page.evaluate(
        "window.applied = []; window.ecabinetMeeting.client.on('*', (data, e) => window.applied.push(e.seq))"
    )
    seq = page.evaluate("window.ecabinetMeeting.client.seq")

    # The socket loses an event (as around a reconnect): the next one waits, and the client fetches
    # the missing one from the log before applying either.
    page.evaluate(
        """() => {
        const client = window.ecabinetMeeting.client;
        const lost = client.seq + 1;
        client.socket.off("event");
        client.socket.on("event", (e) => { if (e.seq !== lost) client.receive(e); });
    }"""
    )
    ok(sec.post(f"/meetings/{meeting['id']}/current", json={"agenda_item_id": first["id"]}))  # lost
    ok(sec.post(f"/meetings/{meeting['id']}/current", json={"agenda_item_id": second["id"]}))
    page.wait_for_function(f"() => window.ecabinetMeeting.client.seq === {seq + 2}", timeout=10000)
    assert page.evaluate("window.applied") == [seq + 1, seq + 2]
    assert page.locator(".agenda-item.current").get_attribute("id") == f"item-{second['id']}"

    # Two events delivered crosswise: the later one waits for the earlier; a repeat is ignored.
    def current(n: int, item: dict) -> dict:
        data = {"agenda_item_id": item["id"], "title": item["title"]}
        return {
            "seq": seq + n,
            "type": "agenda.current",
            "meeting_id": meeting["id"],
            "data": data,
            "at": None,
        }

    page.evaluate("e => window.ecabinetMeeting.client.receive(e)", current(4, second))
    assert page.evaluate("window.applied") == [seq + 1, seq + 2]
    page.evaluate("e => window.ecabinetMeeting.client.receive(e)", current(3, first))
    page.evaluate("e => window.ecabinetMeeting.client.receive(e)", current(3, first))
    assert page.evaluate("window.applied") == [seq + 1, seq + 2, seq + 3, seq + 4]
    assert page.locator(".agenda-item.current").get_attribute("id") == f"item-{second['id']}"
    context.close()
