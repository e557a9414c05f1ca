"""A member's day on a phone (390×844, touch), through the pages only: log in, open the meeting and its
meeting book, read a paper and highlight words in it, check in, vote when the secretariat opens the
vote, answer a written-opinion ballot. At each step nothing runs off the side of the screen and axe-core finds nothing
serious; each step is photographed under test-artifacts/member-day-phone/ for a person to look at.

Needs Debian's Chromium and the `browser` extra (playwright, axe-playwright-python): see tests/browser.py.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.browser import assert_accessible, sticking_out
from tests.conftest import PASSWORD
from tests.helpers import ok
from tests.opinion_ballots import sent_ballot
from tests.pdfs import make_pdf, upload
from tests.steps import words_on_page

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "member-day-phone"
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}
WORDS = "Phạm vi điều chỉnh"
QUESTION = "Thông qua dự án Luật Đất đai (sửa đổi)?"


def _ballot(cabinet, member) -> dict:
    return sent_ballot(
        cabinet,
        title="Lấy ý kiến về dự thảo Nghị định quy định chi tiết Luật Dữ liệu",
        summary="Bộ Khoa học và Công nghệ trình; Bộ Tư pháp đã thẩm định.",
        questions=[{"text": "Đồng ý ban hành Nghị định theo dự thảo?"}],
        recipients=[member.id],
        deadline=(datetime.now(UTC) + timedelta(days=7)).isoformat(),
    )


def test_a_members_day_on_a_phone(cabinet, server_url, browser):
    member, sec = cabinet.members[0], cabinet.api(cabinet.secretariat)
    meeting = cabinet.meeting("in_progress")
    land = cabinet.item(meeting["id"], "Dự án Luật Đất đai (sửa đổi)", presenter="Bộ trưởng Bộ Tài nguyên")
    paper = ok(
        upload(
            sec, land["id"], make_pdf(f"Điều 1. {WORDS} của Luật Đất đai", "Điều 2."), title="Dự thảo Luật"
        ),
        201,
    )
    ok(sec.post(f"/meetings/{meeting['id']}/current", json={"agenda_item_id": land["id"]}))
    ballot = _ballot(cabinet, member)

    context = browser.new_context(locale="vi-VN", **PHONE)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    steps = iter(range(1, 100))

    def step(name: str) -> None:
        """The page as it stands fits the phone and is accessible; its photograph is kept."""
        page.screenshot(path=str(ARTIFACTS / f"{next(steps):02d}-{name}.png"))
        assert sticking_out(page) == {}, name
        assert_accessible(page, name)

    page.goto(f"{server_url}/meetings")
    step("login")
    page.fill("input[name=username]", member.username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("button[type=submit]").tap()
    page.locator(".meeting-card").first.wait_for()
    step("meetings")

    page.locator(".meeting-card a", has_text=meeting["title"]).tap()
    page.wait_for_url(f"**/meetings/{meeting['id']}")
    step("meeting")

    # The meeting book from its button on the meeting page: its pages and when it was built are shown.
    with page.expect_navigation(url="**/book.pdf", wait_until="commit") as book:
        page.locator(".book-link a", has_text="Tài liệu phiên họp").tap()
    assert book.value.status == 200 and book.value.header_value("content-type") == "application/pdf"
    page.goto(f"{server_url}/meetings/{meeting['id']}")
    # Cover and agenda, then the paper's two pages.
    assert re.fullmatch(
        r"4 trang · tạo lúc \d\d:\d\d \d\d/\d\d/\d{4}", page.inner_text(".book-state").strip()
    )
    step("meeting-book-built")

    page.locator(".documents a", has_text="Dự thảo Luật").tap()
    words = words_on_page(page, WORDS)
    words.wait_for(timeout=20000)
    step("viewer")
    page.locator(".vw-menu > summary").tap()
    page.locator(".vw-menu-body").wait_for()
    step("viewer-versions")
    page.locator(".vw-menu > summary").tap()
    # A long press selects words on a phone; the test selects them as the browser would.
    page.evaluate(
        """(words) => {
          const span = [...document.querySelectorAll('.vw-page[data-page="1"] .textLayer span')]
            .find(s => s.textContent.includes(words));
          const start = span.textContent.indexOf(words);
          const range = document.createRange();
          range.setStart(span.firstChild, start);
          range.setEnd(span.firstChild, start + words.length);
          getSelection().removeAllRanges();
          getSelection().addRange(range);
        }""",
        WORDS,
    )
    page.locator('[data-tool="highlight"]').tap()
    page.locator('.vw-page[data-page="1"] .vw-highlight rect').first.wait_for(timeout=10000)
    page.wait_for_function(
        "() => document.getElementById('vw-save').dataset.state === 'saved'", timeout=15000
    )
    step("viewer-highlight")
    [mark] = ok(cabinet.api(member).get(f"/documents/{paper['id']}/annotations"))
    assert mark["kind"] == "highlight" and WORDS in mark["quote"]

    page.locator(".vw-back").tap()
    page.wait_for_url(f"**/meetings/{meeting['id']}#item-{land['id']}")
    page.locator("button.checkin").tap()
    page.locator(".checked-in", has_text="Bạn đã điểm danh").wait_for()
    step("checked-in")
    present = {p["user_id"]: p["present"] for p in ok(sec.get(f"/meetings/{meeting['id']}"))["participants"]}
    assert present[member.id] is True

    page.wait_for_function(
        "() => window.ecabinetMeeting && window.ecabinetMeeting.client.online", timeout=15000
    )
    vote = ok(
        sec.post(
            f"/meetings/{meeting['id']}/votes", json={"question": QUESTION, "agenda_item_id": land["id"]}
        ),
        201,
    )
    ok(sec.post(f"/votes/{vote['id']}/open"))
    panel = page.locator("#vote-panel")
    panel.locator(".vote-option.opt-yes").wait_for(timeout=10000)
    step("vote-open")
    panel.locator(".vote-option.opt-yes").tap()
    panel.locator(".vote-confirm-yes").wait_for()
    step("vote-confirm")
    panel.locator(".vote-confirm-yes").tap()
    panel.locator(".voted-mark", has_text="Đã biểu quyết").wait_for(timeout=10000)
    step("voted")
    assert ok(sec.get(f"/votes/{vote['id']}"))["voters"] == {str(member.id): "yes"}

    page.locator(".topbar nav a", has_text="Phiếu lấy ý kiến").tap()
    page.locator("a.card-link", has_text=ballot["title"]).tap()
    page.wait_for_url(f"**/ballots/{ballot['id']}")
    step("ballot")
    [question] = ballot["questions"]
    page.locator(f"#question-{question['id']} label.choice-agree").tap()
    page.locator("#send-answers").tap()
    page.wait_for_function(
        "() => document.getElementById('saved-state').dataset.state === 'saved'", timeout=15000
    )
    step("ballot-answered")
    answers = ok(cabinet.api(member).get(f"/ballots/{ballot['id']}"))["answers"]
    assert [(a["question_id"], a["choice"]) for a in answers] == [(question["id"], "agree")]

    assert errors == []
    context.close()
