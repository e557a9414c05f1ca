"""The chair's day, through the pages only, on tablets (1024×768): the chair opens the session from the
console without a quorum (and is asked first), a first member checks in, the chair puts two questions
on the current item and opens the first before the others arrive (asked again), the others check in, a
second open vote is refused with the open one named, the members vote from their tablets, the chair
closes the open vote from the refusal's offer, closes the session over another open vote by the path
the console offers (close that vote first), and reads in the minutes that the session and the first
vote opened without a quorum.

Each step fits the screen, passes axe-core and is photographed under test-artifacts/chair-day/. Needs
Debian's Chromium and the playwright package (see tests/browser.py).
"""

from __future__ import annotations

import pytest

from tests.browser import Device
from tests.helpers import ok

pytestmark = pytest.mark.browser

LIVE = "() => window.{name} && window.{name}.client.online"


def on_tablet(browser, server_url, person) -> Device:
    return Device(browser, server_url, person, "chair-day")


def test_the_chair_runs_a_session_from_the_console(cabinet, server_url, browser):
    meeting = cabinet.meeting("published")
    mid = meeting["id"]
    land = cabinet.item(
        mid, "Dự án Luật Đất đai (sửa đổi)", presenter="Bộ trưởng Bộ Nông nghiệp và Môi trường"
    )
    cabinet.item(mid, "Dự toán ngân sách nhà nước năm 2027")

    # 1. The chair opens the meeting on the tablet, then its console.
    chair = on_tablet(browser, server_url, cabinet.chair)
    console = chair.page
    console.goto(f"{server_url}/meetings/{mid}")
    console.locator("a.button", has_text="Bảng điều hành phiên họp").first.click()
    console.wait_for_function(LIVE.format(name="ecabinetConsole"), timeout=15000)
    chair.step("01-console-before-the-session")

    # 2. Only the chair is there: opening the session asks first, and says why.
    console.locator(".status-actions button", has_text="Khai mạc phiên họp").click()
    console.locator(".console-status .badge.status-in_progress").wait_for(timeout=10000)
    assert chair.asked == [
        "Chưa đủ số lượng thành viên theo quy định: có mặt 1/4, tối thiểu 3. "
        "Vẫn khai mạc phiên họp? Biên bản sẽ ghi nhận điều này."
    ]
    started = ok(cabinet.api(cabinet.secretariat).get(f"/meetings/{mid}"))
    assert started["quorum_at_start"]["quorum"] is False
    # The chair counts as present while chairing.
    console.locator(".console-attendance .members-present", has_text="1").wait_for(timeout=10000)
    chair.step("02-session-opened-without-a-quorum")

    # 3. A first member checks in on the tablet; the console counts two of four.
    def arrives(person) -> Device:
        tablet = on_tablet(browser, server_url, person)
        tablet.page.goto(f"{server_url}/meetings/{mid}")
        tablet.page.wait_for_function(LIVE.format(name="ecabinetMeeting"), timeout=15000)
        tablet.page.locator("button.checkin").click()
        tablet.page.locator(".checked-in:visible").wait_for(timeout=10000)
        return tablet

    members = [arrives(cabinet.members[0])]
    members[0].step("03-a-member-checked-in")
    console.locator(".console-attendance .members-present", has_text="2").wait_for(timeout=10000)

    # 4. The chair puts the first item under discussion, then two questions: they belong to that item.
    console.locator(f".console-item[data-item-id='{land['id']}']").click()
    console.locator(".console-items li.current", has_text="Dự án Luật Đất đai").wait_for(timeout=10000)
    console.locator(".vote-create > summary").click()
    form = console.locator(".vote-form")
    assert form.locator("select[name=agenda_item_id]").input_value() == str(land["id"])
    form.locator("textarea[name=question]").fill("Thông qua dự án Luật Đất đai (sửa đổi)")
    chair.step("04-a-question-on-the-current-item")
    form.locator("button[type=submit]").click()
    first = console.locator(".console-vote", has_text="Thông qua dự án Luật Đất đai")
    first.wait_for(timeout=10000)
    console.locator(".vote-create > summary").click()
    form.locator("textarea[name=question]").fill("Giao Bộ Tư pháp thẩm định lại dự thảo")
    form.locator("button[type=submit]").click()
    second = console.locator(".console-vote", has_text="Giao Bộ Tư pháp thẩm định")
    second.wait_for(timeout=10000)
    votes = {v["question"]: v for v in ok(cabinet.api(cabinet.chair).get(f"/meetings/{mid}/votes"))}
    assert {v["agenda_item_id"] for v in votes.values()} == {land["id"]}

    # 5. The first opens while two are still on their way: the chair is asked first, and says yes.
    first.locator("button", has_text="Bắt đầu biểu quyết").click()
    console.locator(".console-vote.status-open", has_text="Thông qua dự án Luật Đất đai").wait_for(
        timeout=10000
    )
    assert chair.asked[1:] == [
        "Chưa đủ số lượng thành viên theo quy định: có mặt 2/4, tối thiểu 3. "
        "Vẫn bắt đầu biểu quyết? Biên bản sẽ ghi nhận điều này."
    ]
    chair.step("05-a-vote-opened-without-a-quorum")

    # 6. The others check in; the console counts them and shows the quorum.
    members += [arrives(person) for person in cabinet.members[1:]]
    console.locator(".console-attendance .members-present", has_text="4").wait_for(timeout=10000)
    console.locator(".console-attendance.quorum-ok").wait_for(timeout=10000)

    # 7. The second vote is refused, the open one named (nothing asked: there is a quorum now).
    second.locator("button", has_text="Bắt đầu biểu quyết").click()
    refusal = console.locator(".vote-refused")
    refusal.wait_for(timeout=10000)
    assert "Biểu quyết “Thông qua dự án Luật Đất đai (sửa đổi)” đang mở" in refusal.inner_text()
    assert len(chair.asked) == 2
    chair.step("06-a-second-vote-refused")
    assert (
        ok(cabinet.api(cabinet.chair).get(f"/votes/{votes['Giao Bộ Tư pháp thẩm định lại dự thảo']['id']}"))[
            "status"
        ]
        == "draft"
    )

    # 8. The members vote from their tablets, each confirming the choice.
    for n, (tablet, choice) in enumerate(zip(members, ("yes", "yes", "no"), strict=True), start=1):
        panel = tablet.page.locator("#vote-panel")
        panel.locator(f".vote-option.opt-{choice}").click()
        panel.locator(".vote-confirm-yes").click()
        panel.locator(".voted-mark").wait_for(timeout=10000)
        if n == 1:
            tablet.step("07-a-member-has-voted")
    open_card = console.locator(".console-vote.status-open")
    open_card.locator(".progress-cast", has_text="3").wait_for(timeout=10000)
    chair.step("08-three-have-voted")

    # 9. The chair closes the open vote from the refusal's own offer (after its confirmation, which
    # counts who has voted); the refusal makes way for the result.
    refusal.locator("button", has_text="Kết thúc biểu quyết đó").click()
    console.locator(".console-vote.status-closed .verdict").wait_for(timeout=10000)
    assert console.locator(".vote-refused").count() == 0
    assert chair.asked[2:] == ["Kết thúc biểu quyết ngay bây giờ? Đã có 3/4 thành viên biểu quyết."]
    chair.step("09-the-vote-closed")
    members[0].page.locator("#vote-panel .verdict").wait_for(timeout=10000)
    members[0].step("10-the-result-on-a-tablet")

    # 10. The second vote opens; the chair closes the session over it: the console offers to close the
    # vote first, and both close.
    second.locator("button", has_text="Bắt đầu biểu quyết").click()
    console.locator(".console-vote.status-open", has_text="Giao Bộ Tư pháp thẩm định").wait_for(timeout=10000)
    panel = members[0].page.locator("#vote-panel")
    panel.locator(".vote-option.opt-yes").click()
    panel.locator(".vote-confirm-yes").click()
    panel.locator(".voted-mark").wait_for(timeout=10000)
    asked_before = len(chair.asked)
    console.locator(".status-actions button", has_text="Bế mạc phiên họp").click()
    console.locator(".console-status .badge.status-closed").wait_for(timeout=10000)
    assert chair.asked[asked_before:] == [
        "Bế mạc phiên họp? Sau khi bế mạc, chương trình họp không thể thay đổi.",
        "Biểu quyết “Giao Bộ Tư pháp thẩm định lại dự thảo” vẫn đang mở. Kết thúc biểu quyết rồi bế mạc phiên họp?",
    ]
    console.locator(".console-vote.status-closed", has_text="Giao Bộ Tư pháp thẩm định").wait_for(
        timeout=10000
    )
    chair.step("11-the-session-closed-after-its-last-vote")

    # 11. The record: the session and the first vote opened without a quorum, each at its moment.
    console.goto(f"{server_url}/meetings/{mid}/minutes")
    assert (
        "Phiên họp được khai mạc khi chưa đủ số lượng thành viên theo quy định (có mặt 1/4, tối thiểu 3)"
        in console.locator(".minutes-head").inner_text()
    )
    short = console.locator(".record-vote-quorum")
    assert short.all_inner_texts() == [
        "Mở khi chưa đủ số lượng thành viên theo quy định (có mặt 2/4, tối thiểu 3)."
    ]
    assert "Thông qua dự án Luật Đất đai" in console.locator(".record-vote", has=short).inner_text()
    chair.step("12-the-record-of-the-quorum")

    closed = ok(cabinet.api(cabinet.chair).get(f"/meetings/{mid}/votes"))
    assert [v["status"] for v in closed] == ["closed", "closed"]
    assert ok(cabinet.api(cabinet.chair).get(f"/meetings/{mid}"))["status"] == "closed"
    for tablet in (chair, *members):
        assert tablet.close() == []
