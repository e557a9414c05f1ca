"""A member's tablet without network, in a real browser (Chromium, Playwright's offline mode): the
meeting downloaded for offline reading opens after a reload, its paper is highlighted, a ballot is
answered and a position stated; back online, the server has each of them exactly once. And a paper
the secretariat removes disappears from the device at the next contact."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from ecabinet.audit.models import AuditEntry
from ecabinet.extensions import db
from tests.browser import ARTIFACTS
from tests.helpers import ok
from tests.pdfs import make_pdf, upload
from tests.test_viewer_browser import WORDS, _reader, _select

pytestmark = pytest.mark.browser


def _meeting_with_papers(cabinet, *titles):
    meeting = cabinet.meeting("published")
    item = cabinet.item(meeting["id"], "Dự án Luật Đất đai (sửa đổi)")
    sec = cabinet.api(cabinet.secretariat)
    papers = [
        ok(upload(sec, item["id"], make_pdf(f"Điều 1. {WORDS} của {title}", "Điều 2."), title=title), 201)
        for title in titles
    ]
    return meeting, item, papers


def _download(page, server_url, meeting, papers):
    page.goto(f"{server_url}/meetings/{meeting['id']}")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.click(".offline-download")
    for paper in papers:
        page.locator(
            f'.documents a[href="/documents/{paper["id"]}"] + .offline-doc[data-state="downloaded"]'
        ).wait_for(timeout=30000)


def _cached(page, url: str) -> bool:
    return page.evaluate(
        "async (url) => Boolean(await (await caches.open('ecabinet-offline-v1')).match(url))", url
    )


def _until(check, timeout: float = 20):
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not reached in time"
        time.sleep(0.2)


def _count(app, action: str, object_id: int) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).where(AuditEntry.action == action, AuditEntry.object_id == object_id)
        )


def test_read_annotate_answer_offline_and_find_it_all_on_the_server_once(app, cabinet, server_url, browser):
    member = cabinet.members[0]
    meeting, item, (paper,) = _meeting_with_papers(cabinet, "Dự thảo Luật Đất đai")
    sec = cabinet.api(cabinet.secretariat)
    later = (datetime.now(UTC) + timedelta(days=7)).isoformat()
    ballot = ok(
        sec.post(
            "/ballots",
            json={
                "title": "Lấy ý kiến về dự thảo Nghị định",
                "questions": [{"text": "Đồng ý ban hành Nghị định?"}],
                "recipients": [member.id],
                "deadline": later,
            },
        ),
        201,
    )
    ok(sec.post(f"/ballots/{ballot['id']}/send"))
    question = ballot["questions"][0]["id"]
    context, page, errors = _reader(browser, server_url, member)

    _download(page, server_url, meeting, [paper])
    summary = page.locator(".offline-summary").inner_text()
    assert summary.startswith("1/1 tài liệu đã có trên thiết bị") and "MB" in summary, summary
    (ARTIFACTS / "offline").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "offline" / "downloaded.png"), full_page=True)

    context.set_offline(True)
    page.reload()
    page.locator("h1", has_text=meeting["title"]).wait_for()
    page.locator(".offline-bar", has_text="Không có mạng").wait_for()

    # A position on the item, stated from the meeting page's buttons.
    page.click(f"#position-{item['id']} button[value=no_objection]")
    page.wait_for_url(f"**/meetings/{meeting['id']}*")

    # The paper opens from the device; a highlight is kept to be sent.
    page.click(f'.documents a[href="/documents/{paper["id"]}"]')
    page.wait_for_function(
        "document.getElementById('viewer').dataset.annotations === 'loaded'", timeout=20000
    )
    words = page.locator('.vw-page[data-page="1"] .textLayer.ready span', has_text=WORDS).first
    words.wait_for(timeout=20000)
    _select(page, words)
    page.click('[data-tool="highlight"]')
    page.locator(".offline-bar", has_text="đang chờ gửi").wait_for(timeout=10000)

    # The ballot, answered from the copy on the device.
    page.goto(f"{server_url}/ballots/{ballot['id']}")
    page.click(f"#question-{question} label.choice-agree")
    page.click("#send-answers")
    page.wait_for_function("document.getElementById('saved-state').dataset.state === 'queued'")
    page.screenshot(path=str(ARTIFACTS / "offline" / "ballot-kept.png"), full_page=True)
    assert ok(cabinet.api(member).get(f"/documents/{paper['id']}/annotations")) == []
    assert ok(cabinet.api(member).get(f"/ballots/{ballot['id']}"))["answers"] == []

    context.set_offline(False)
    page.reload()
    page.locator(".offline-bar").wait_for(state="hidden", timeout=20000)

    marks = ok(cabinet.api(member).get(f"/documents/{paper['id']}/annotations"))
    assert [(m["kind"], m["page"]) for m in marks] == [("highlight", 1)] and WORDS in marks[0]["quote"]
    answers = ok(cabinet.api(member).get(f"/ballots/{ballot['id']}"))["answers"]
    assert [(a["question_id"], a["choice"]) for a in answers] == [(question, "agree")]
    positions = ok(cabinet.api(member).get(f"/meetings/{meeting['id']}/positions"))
    assert [(p["user_id"], p["position"]) for p in positions[0]["positions"]] == [(member.id, "no_objection")]
    # Exactly once each, however often the outbox was tried.
    assert _count(app, "ballot.answer", ballot["id"]) == 1
    page.reload()
    assert len(ok(cabinet.api(member).get(f"/documents/{paper['id']}/annotations"))) == 1
    assert errors == []
    context.close()


def test_a_paper_removed_from_the_meeting_leaves_the_device_at_the_next_contact(cabinet, server_url, browser):
    member = cabinet.members[0]
    meeting, _, (kept, removed) = _meeting_with_papers(cabinet, "Dự thảo Luật Đất đai", "Tờ trình đã rút")
    context, page, errors = _reader(browser, server_url, member)
    _download(page, server_url, meeting, [kept, removed])
    removed_file = f"{server_url}/api/v1/documents/{removed['id']}/file?version=1"
    kept_file = f"{server_url}/api/v1/documents/{kept['id']}/file?version=1"
    assert _cached(page, removed_file) and _cached(page, kept_file)

    ok(cabinet.api(cabinet.secretariat).delete(f"/documents/{removed['id']}"), 204)
    page.goto(f"{server_url}/meetings")
    _until(lambda: not _cached(page, removed_file))
    assert _cached(page, kept_file)
    assert not _cached(page, f"{server_url}/documents/{removed['id']}")
    assert errors == []
    context.close()
