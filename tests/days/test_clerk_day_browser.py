"""The clerk's day, through the pages only: the clerk follows the session in the minutes editor, writes
notes per item as it goes, sees each vote appear, move and close without a reload (on an item, on the
confidential item in the annex, on no item), finds the confidential item sealed in its place in the
general minutes and written out in the annex, sees the chair approve, and downloads the minutes and
the conclusion notice as PDF and DOCX, read back here.

The chair and the members act through the API meanwhile (their own days are other tests). Each step
fits the screen, passes axe-core and is photographed under test-artifacts/clerk-day/. Needs Debian's
Chromium and the playwright package (see tests/browser.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import Device
from tests.document_text import docx_text, pdf_text
from tests.helpers import ok

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1280, "height": 900}
SEALED = "Nội dung mật — biên bản riêng"


def _wait_saved(page) -> None:
    page.wait_for_function(
        "() => document.querySelector('.save-state').dataset.state === 'saved'"
        " && document.querySelector('.save-text').textContent.startsWith('Đã lưu lúc')",
        timeout=15000,
    )


def _write(page, field: str, item_id: int, text: str) -> None:
    page.locator(f"#{field}-{item_id}").fill(text)
    _wait_saved(page)


def _vote(cabinet, meeting_id: int, question: str, choices: tuple[str, ...], item_id: int | None = None):
    """The chair puts a question and opens it; the members cast. Returns the vote, still open."""
    chair = cabinet.api(cabinet.chair)
    body = {"question": question, **({"agenda_item_id": item_id} if item_id else {})}
    vote = ok(chair.post(f"/meetings/{meeting_id}/votes", json=body), 201)
    ok(chair.post(f"/votes/{vote['id']}/open"))
    for member, choice in zip(cabinet.members, choices, strict=False):
        ok(cabinet.api(member).post(f"/votes/{vote['id']}/cast", json={"choice": choice}), 201)
    return vote


def test_the_clerk_keeps_the_minutes_of_the_session_as_held(cabinet, server_url, browser):
    people = [*cabinet.participants, cabinet.clerk]
    meeting = cabinet.meeting("published", participants=[p.id for p in people])
    mid = meeting["id"]
    land = cabinet.item(mid, "Dự án Luật Đất đai (sửa đổi)", presenter="Bộ trưởng Bộ Tài chính")
    secret = cabinet.item(
        mid, "Phương án nhân sự Bộ Tài chính", confidential=True, restricted_to=[cabinet.members[0].id]
    )
    budget = cabinet.item(mid, "Dự toán ngân sách nhà nước năm 2027")
    chair = cabinet.api(cabinet.chair)
    ok(chair.post(f"/meetings/{mid}/start"))  # without a quorum: the minutes will say so
    for member in cabinet.members:
        ok(cabinet.api(member).post(f"/meetings/{mid}/attendance"))
    ok(chair.post(f"/meetings/{mid}/current", json={"agenda_item_id": land["id"]}))

    # 1. The clerk opens the meeting, then its minutes.
    clerk = Device(browser, server_url, cabinet.clerk, "clerk-day", LAPTOP)
    page = clerk.page
    page.goto(f"{server_url}/meetings/{mid}")
    page.locator("a", has_text="Biên bản").first.click()
    page.wait_for_function(
        "() => window.ecabinetMinutes && window.ecabinetMinutes.live.online", timeout=15000
    )
    head = page.locator(".minutes-head").inner_text()
    assert (
        "Phiên họp được khai mạc khi chưa đủ số lượng thành viên theo quy định (có mặt 1/4, tối thiểu 3)"
        in head
    )
    # The confidential item keeps its place in the general minutes, sealed; the clerk has it in the annex.
    sealed = page.locator("[data-sealed-item='2']")
    assert sealed.inner_text().split() == ["2", *SEALED.split()]
    annex = page.locator(".minutes-annex")
    assert annex.locator(f"#minutes-item-{secret['id']}").count() == 1
    clerk.step("01-the-minutes-at-the-start")

    # 2. Notes on the item under discussion, while the chair puts it to the vote: the vote shows live.
    _write(page, "notes", land["id"], "Bộ trưởng Bộ Tài chính trình bày tờ trình dự án Luật.")
    land_vote = _vote(
        cabinet, mid, "Thông qua dự án Luật Đất đai (sửa đổi)?", ("yes", "yes", "no"), land["id"]
    )
    box = page.locator(f"[data-votes-of='{land['id']}']")
    box.locator(".record-vote.outcome-open", has_text="3/4 thành viên đã biểu quyết").wait_for(timeout=10000)
    clerk.step("02-a-vote-under-way")
    ok(chair.post(f"/votes/{land_vote['id']}/close"))
    box.locator(".record-vote.outcome-failed").wait_for(timeout=10000)  # 2 of 4 is not more than half
    assert "Tán thành 2" in " ".join(box.inner_text().split())
    _write(page, "decision", land["id"], "Giao Bộ Tài chính tiếp thu, hoàn thiện dự án Luật.")
    clerk.step("03-the-vote-decided-and-the-decision-written")

    # 3. The confidential item: its notes, decision and vote are in the annex only.
    ok(chair.post(f"/meetings/{mid}/current", json={"agenda_item_id": secret["id"]}))
    secret_vote = _vote(cabinet, mid, "Đồng ý phương án nhân sự số 2?", ("yes",), secret["id"])
    ok(chair.post(f"/votes/{secret_vote['id']}/close"))
    annex.locator(
        f"[data-votes-of='{secret['id']}'] .record-vote.outcome-none, "
        f"[data-votes-of='{secret['id']}'] .record-vote.outcome-failed"
    ).wait_for(timeout=10000)
    _write(page, "notes", secret["id"], "Thảo luận kín về phương án nhân sự.")
    _write(page, "decision", secret["id"], "Đồng ý phương án nhân sự số 2.")
    annex.scroll_into_view_if_needed()
    clerk.step("04-the-confidential-annex")

    # 4. A vote on no item appears under the other votes of the meeting.
    other = _vote(cabinet, mid, "Thông qua chương trình công tác tháng 12?", ("yes", "yes", "yes"))
    ok(chair.post(f"/votes/{other['id']}/close"))
    general = page.locator(".minutes-general")
    general.locator(
        ".record-vote.outcome-passed", has_text="Thông qua chương trình công tác tháng 12?"
    ).wait_for(timeout=10000)
    ok(chair.post(f"/meetings/{mid}/current", json={"agenda_item_id": budget["id"]}))
    _write(page, "decision", budget["id"], "Thống nhất dự toán ngân sách nhà nước năm 2027.")
    page.locator("#summary").fill("Phiên họp thảo luận ba nội dung và biểu quyết ba vấn đề.")
    _wait_saved(page)
    clerk.step("05-the-other-votes-and-the-summary")

    # 5. The session closes; a minister not cleared reads the sealed line, not the content.
    ok(chair.post(f"/meetings/{mid}/close"))
    reader = Device(browser, server_url, cabinet.members[1], "clerk-day")
    reader.page.goto(f"{server_url}/meetings/{mid}/minutes")
    assert SEALED in reader.page.locator("[data-sealed-item='2']").inner_text()
    assert "nhân sự" not in reader.page.content() and reader.page.locator(".minutes-annex").count() == 0
    reader.step("06-a-member-not-cleared-reads-the-sealed-line")

    # 6. The chair approves from the same page; the clerk's page learns it.
    approver = Device(browser, server_url, cabinet.chair, "clerk-day", LAPTOP)
    approver.page.goto(f"{server_url}/meetings/{mid}/minutes")
    approver.page.locator(".approve-form button").click()
    approver.page.locator(".approved-notice").wait_for(timeout=10000)
    # The clerk's page reloads itself when the approval reaches it (nothing of the clerk's was unsaved);
    # a reload from the test as well raced that one.
    page.locator(".approved-notice").wait_for(timeout=10000)
    clerk.step("07-the-minutes-approved")

    # 7. The clerk downloads the minutes, PDF and Word: every vote, the sealed line, the annex.
    texts = {}
    for kind, read in (("PDF", pdf_text), ("Word", docx_text)):
        with page.expect_download() as download:
            page.locator(".minutes-head .downloads a", has_text=kind).first.click()
        texts[kind] = read(Path(download.value.path()).read_bytes())
    for kind, text in texts.items():
        general_part, annex_part = text.split("PHỤ LỤC MẬT — BIÊN BẢN RIÊNG CÁC NỘI DUNG MẬT")
        for expected in (
            "BIÊN BẢN PHIÊN HỌP CHÍNH PHỦ",
            "Phiên họp được khai mạc khi chưa đủ số lượng thành viên theo quy định (có mặt 1/4, tối thiểu 3).",
            "1. Dự án Luật Đất đai (sửa đổi)",
            "Bộ trưởng Bộ Tài chính trình bày tờ trình dự án Luật.",
            "Biểu quyết: Thông qua dự án Luật Đất đai (sửa đổi)?",
            "Tán thành: 2; Không tán thành: 1; Không biểu quyết: 0",
            "Kết quả: Không thông qua.",
            "Kết luận: Giao Bộ Tài chính tiếp thu, hoàn thiện dự án Luật.",
            f"2. {SEALED}",
            "3. Dự toán ngân sách nhà nước năm 2027",
            "Biểu quyết: Thông qua chương trình công tác tháng 12?",
            "Biên bản đã được phê duyệt.",
        ):
            assert expected in general_part, (kind, expected)
        for hidden in ("Phương án nhân sự Bộ Tài chính", "Thảo luận kín", "Đồng ý phương án nhân sự"):
            assert hidden not in general_part, (kind, hidden)
        for expected in (
            "2. Phương án nhân sự Bộ Tài chính",
            "Thảo luận kín về phương án nhân sự.",
            "Biểu quyết: Đồng ý phương án nhân sự số 2?",
            "Kết luận: Đồng ý phương án nhân sự số 2.",
        ):
            assert expected in annex_part, (kind, expected)

    # 8. And the conclusion notice, PDF and Word: the votes taken are in it too, the sealed item sealed.
    for kind, read in (("PDF", pdf_text), ("Word", docx_text)):
        with page.expect_download() as download:
            page.locator(".minutes-head .download-set").nth(1).locator("a", has_text=kind).click()
        notice = read(Path(download.value.path()).read_bytes())
        general_part, annex_part = notice.split("PHỤ LỤC MẬT")
        for expected in (
            "Biểu quyết: Thông qua dự án Luật Đất đai (sửa đổi)?",
            "Biểu quyết: Thông qua chương trình công tác tháng 12?",
            SEALED,
        ):
            assert expected in general_part, (kind, expected)
        assert "Phương án nhân sự Bộ Tài chính" not in general_part, kind
        assert "Biểu quyết: Đồng ý phương án nhân sự số 2?" in annex_part, kind

    for device in (clerk, reader, approver):
        assert device.close() == []
