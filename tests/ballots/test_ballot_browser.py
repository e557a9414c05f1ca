"""The written-opinion ballot in a real browser: a member answers on the answer page, whose script
PUTs to the API; the inbox shows a banner when a ballot arrives over Socket.IO.

Needs Debian's Chromium and the playwright package (the `browser` extra); without them the tests are
skipped, unless REQUIRE_BROWSER=1 (CI), where a missing browser is a failure. Playwright downloads no
browser here: it drives /usr/bin/chromium.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.helpers import ok
from tests.opinion_ballots import sent_ballot
from tests.steps import logged_in_page

pytestmark = pytest.mark.browser

COMMENT = "Đề nghị lùi thời điểm có hiệu lực đến ngày 01/7/2027 để các bộ kịp chuẩn bị."


def _sent_ballot(cabinet, recipients) -> dict:
    return sent_ballot(
        cabinet,
        title="Lấy ý kiến về dự thảo Nghị định quy định chi tiết Luật Dữ liệu",
        summary="Bộ Khoa học và Công nghệ trình; Bộ Tư pháp đã thẩm định.",
        questions=[
            {"text": "Đồng ý ban hành Nghị định theo dự thảo?"},
            {"text": "Đồng ý thời điểm có hiệu lực từ ngày 01/01/2027?"},
        ],
        recipients=[p.id for p in recipients],
        deadline=(datetime.now(UTC) + timedelta(days=7)).isoformat(),
    )


def test_a_member_disagrees_with_a_comment_and_finds_it_saved(cabinet, server_url, browser):
    member = cabinet.members[0]
    ballot = _sent_ballot(cabinet, [member, cabinet.members[1]])
    first, second = (q["id"] for q in ballot["questions"])
    context, page, errors = logged_in_page(browser, server_url, member)

    page.goto(f"{server_url}/ballots/{ballot['id']}")
    page.click(f"#question-{first} label.choice-agree")
    page.click(f"#question-{second} label.choice-disagree")
    # Told at once, before anything is sent: a disagreement gives its reasons.
    error = page.locator(f"#question-{second} .question-error")
    error.wait_for(state="visible")
    assert "bắt buộc có ý kiến cụ thể" in error.inner_text()
    page.click("#send-answers")
    assert "cần có ý kiến cụ thể" in page.locator("#form-error").inner_text()
    assert ok(cabinet.api(member).get(f"/ballots/{ballot['id']}"))["answers"] == []

    page.fill(f"textarea[name=comment-{second}]", COMMENT)
    error.wait_for(state="hidden")

    # Whatever the server refuses, the page says in its words (here a made-up 400).
    refusal = {"error": {"code": "invalid_input", "message": "answers.0.comment: too long"}}
    response_url = f"{server_url}/api/v1/ballots/{ballot['id']}/response"
    page.route(response_url, lambda route: route.fulfill(status=400, json=refusal))
    page.click("#send-answers")
    page.wait_for_function(
        "() => document.getElementById('form-error').textContent.includes('answers.0.comment: too long')"
    )
    assert "Ý kiến không được chấp nhận" in page.locator("#form-error").inner_text()
    page.unroute(response_url)

    page.click("#send-answers")
    page.wait_for_function("() => document.getElementById('saved-state').dataset.state === 'saved'")
    state = page.locator("#saved-state").inner_text()
    assert state.startswith("✓ Đã lưu lúc ")
    assert page.locator("#form-error").is_hidden()

    saved = ok(cabinet.api(member).get(f"/ballots/{ballot['id']}"))
    assert [(a["question_id"], a["choice"], a["comment"]) for a in saved["answers"]] == [
        (first, "agree", None),
        (second, "disagree", COMMENT),
    ]
    assert saved["my_status"] == "answered"
    at = datetime.fromisoformat(saved["answers"][1]["answered_at"]).astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    assert state.endswith(f"{at:%H:%M %d/%m/%Y}")
    assert page.locator(".ballot-head .my-status").inner_text() == "Đã trả lời"

    page.reload()
    assert page.locator(f"input[name=choice-{second}][value=disagree]").is_checked()
    assert page.locator(f"input[name=choice-{first}][value=agree]").is_checked()
    assert page.locator(f"textarea[name=comment-{second}]").input_value() == COMMENT
    assert page.locator("#saved-state").inner_text() == state
    assert errors == []
    context.close()


def test_the_inbox_shows_a_new_ballot_as_it_arrives(cabinet, server_url, browser):
    member = cabinet.members[0]
    context, page, errors = logged_in_page(browser, server_url, member)
    page.goto(f"{server_url}/ballots")
    assert "Chưa có phiếu lấy ý kiến nào." in page.content()
    # The page's socket is in the member's own room once it has connected.
    page.wait_for_selector("#ballot-news[data-live=connected]", state="attached", timeout=15000)

    ballot = _sent_ballot(cabinet, [member])
    news = page.locator("#ballot-news")
    news.wait_for(state="visible", timeout=15000)
    assert news.locator(".ballot-news-text").inner_text() == f"Có phiếu lấy ý kiến mới: {ballot['title']}"
    news.locator("a").click()
    page.wait_for_url(f"**/ballots/{ballot['id']}")
    config = json.loads(page.locator("#ballot-config").text_content())
    assert config["ballotId"] == ballot["id"] and config["open"] is True
    assert errors == []
    context.close()
