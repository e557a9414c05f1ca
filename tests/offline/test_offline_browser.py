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
from tests.browser import ARTIFACTS, assert_accessible, log_in
from tests.helpers import ok
from tests.opinion_ballots import sent_ballot
from tests.pdfs import make_pdf, new_version, upload
from tests.steps import WORDS, logged_in_page, select_words, words_on_page

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


def _until(check, timeout: float = 30):
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
    ballot = _sent_ballot(cabinet, member)
    question = ballot["questions"][0]["id"]
    context, page, errors = logged_in_page(browser, server_url, member, service_workers="allow")

    _download(page, server_url, meeting, [paper])
    summary = page.locator(".offline-summary").inner_text()
    assert summary.startswith("1/1 tài liệu đã có trên thiết bị · ") and summary.endswith(" kB"), summary
    (ARTIFACTS / "offline").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "offline" / "downloaded.png"), full_page=True)
    assert_accessible(page, "the meeting page with its offline copy")

    context.set_offline(True)
    page.reload()
    page.locator("h1", has_text=meeting["title"]).wait_for()
    page.locator(".offline-bar", has_text="Không có mạng").wait_for()

    # A position on the item, stated from the meeting page's buttons.
    page.click(f"#position-{item['id']} button[value=no_objection]")
    page.wait_for_url(f"**/meetings/{meeting['id']}*")
    stated = page.locator(f"#position-{item['id']}")
    stated.locator(".offline-waiting", has_text="Đã lưu trên thiết bị").wait_for()
    assert stated.locator("button[value=no_objection]").get_attribute("aria-pressed") == "true"
    page.screenshot(path=str(ARTIFACTS / "offline" / "position-kept.png"), full_page=True)

    # The paper opens from the device (through the meeting page's link); a highlight is kept to be sent.
    with page.expect_navigation():
        page.click(f'.documents a[href="/documents/{paper["id"]}"]')
    _highlight(page)
    page.locator(".offline-bar", has_text="2 thay đổi đang chờ gửi").wait_for(timeout=10000)
    # The viewer does not say "saved" of a mark the server has not got.
    page.locator(".vw-save[data-state=kept]", has_text="Đã lưu trên thiết bị: sẽ gửi khi có mạng").wait_for()

    # The ballot, answered from the copy on the device.
    page.goto(f"{server_url}/ballots/{ballot['id']}")
    page.click(f"#question-{question} label.choice-agree")
    page.click("#send-answers")
    page.wait_for_function("() => document.getElementById('saved-state').dataset.state === 'queued'")
    page.screenshot(path=str(ARTIFACTS / "offline" / "ballot-kept.png"), full_page=True)
    # Opened again offline, the page shows the answer waiting to be sent.
    page.reload()
    page.wait_for_function("() => document.getElementById('saved-state').dataset.state === 'queued'")
    assert page.locator(f"#question-{question} input[value=agree]").is_checked()
    assert ok(cabinet.api(member).get(f"/documents/{paper['id']}/annotations")) == []
    assert ok(cabinet.api(member).get(f"/ballots/{ballot['id']}"))["answers"] == []

    page.goto(f"{server_url}/documents/{paper['id']}")
    page.locator(".vw-save[data-state=kept]").wait_for()  # opened again offline: still waiting
    context.set_offline(False)
    page.reload()
    page.locator(".offline-bar").wait_for(state="hidden", timeout=20000)
    page.locator(".vw-save[data-state=saved]", has_text="Đã lưu").wait_for()

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
    context, page, errors = logged_in_page(browser, server_url, member, service_workers="allow")
    _download(page, server_url, meeting, [kept, removed])
    removed_file = f"{server_url}/api/v1/documents/{removed['id']}/file?version=1"
    kept_file = f"{server_url}/api/v1/documents/{kept['id']}/file?version=1"
    assert _cached(page, removed_file) and _cached(page, kept_file)

    page.goto(f"{server_url}/ballots")  # away from the meeting page, which follows the meeting live
    ok(cabinet.api(cabinet.secretariat).delete(f"/documents/{removed['id']}"), 204)
    page.reload()  # the next contact
    _until(lambda: not _cached(page, removed_file))
    assert _cached(page, kept_file)
    assert not _cached(page, f"{server_url}/documents/{removed['id']}")
    # The agenda kept on the device no longer names it either.
    agenda = f"{server_url}/meetings/{meeting['id']}"
    _until(
        lambda: (
            "Tờ trình đã rút"
            not in page.evaluate(
                "async (url) => (await (await caches.open('ecabinet-offline-v1')).match(url)).text()", agenda
            )
        )
    )
    assert errors == []
    context.close()


def _sent_ballot(cabinet, member) -> dict:
    return sent_ballot(
        cabinet,
        title="Lấy ý kiến về dự thảo Nghị định",
        summary=None,
        questions=[{"text": "Đồng ý ban hành Nghị định?"}],
        recipients=[member.id],
        deadline=(datetime.now(UTC) + timedelta(days=7)).isoformat(),
    )


def _highlight(page) -> None:
    """Highlights the words on the paper the viewer has open."""
    page.wait_for_function(
        "() => document.getElementById('viewer').dataset.annotations === 'loaded'", timeout=20000
    )
    words = words_on_page(page, WORDS)
    words.wait_for(timeout=20000)
    select_words(page, words)
    page.click('[data-tool="highlight"]')
    # Drawn, hence sent to the worker (a drag on a busy machine may select nothing: the tool then asks
    # for a selection and draws nothing).
    page.locator('.vw-page[data-page="1"] .vw-highlight rect').first.wait_for(timeout=10000)


def _nothing_kept(page) -> bool:
    """No copy of any page or paper, no meeting, no change waiting (the worker may have opened the
    database again, empty, since)."""
    return page.evaluate(
        """async () => {
            if (await caches.has('ecabinet-offline-v1')) return false;
            if (!(await indexedDB.databases()).some((d) => d.name === 'ecabinet-offline')) return true;
            const db = await new Promise((ok) => { const r = indexedDB.open('ecabinet-offline'); r.onsuccess = () => ok(r.result); });
            const count = (name) => new Promise((ok) => {
                const r = db.transaction(name).objectStore(name).count(); r.onsuccess = () => ok(r.result); });
            const kept = (await count('packages')) + (await count('outbox'));
            db.close();
            return kept === 0;
        }"""
    )


def test_changes_the_server_refuses_when_the_network_returns_are_shown_not_dropped(
    cabinet, server_url, browser
):
    member = cabinet.members[0]
    meeting, _, (paper,) = _meeting_with_papers(cabinet, "Tờ trình sẽ bị rút")
    ballot = _sent_ballot(cabinet, member)
    context, page, errors = logged_in_page(browser, server_url, member, service_workers="allow")
    _download(page, server_url, meeting, [paper])

    context.set_offline(True)
    page.goto(f"{server_url}/documents/{paper['id']}")
    _highlight(page)
    page.goto(f"{server_url}/ballots/{ballot['id']}")
    page.click(f"#question-{ballot['questions'][0]['id']} label.choice-agree")
    page.click("#send-answers")
    page.wait_for_function("() => document.getElementById('saved-state').dataset.state === 'queued'")

    # Meanwhile the secretariat withdraws the paper and closes the ballot.
    sec = cabinet.api(cabinet.secretariat)
    ok(sec.delete(f"/documents/{paper['id']}"), 204)
    ok(sec.post(f"/ballots/{ballot['id']}/close"))

    context.set_offline(False)
    page.goto(f"{server_url}/meetings")
    refused = page.locator(".offline-conflicts")
    refused.locator("li").nth(1).wait_for(timeout=20000)
    lines = refused.locator("li").all_inner_texts()
    assert lines == [
        "Ghi chú trên “Tờ trình sẽ bị rút” — bị từ chối: nội dung này không còn dành cho bạn.",
        "Ý kiến của bạn về phiếu “Lấy ý kiến về dự thảo Nghị định” — bị từ chối: trong lúc đó phiếu đã kết thúc "
        "hoặc phiên họp đã chuyển sang giai đoạn khác.",
    ]
    page.screenshot(path=str(ARTIFACTS / "offline" / "conflicts.png"), full_page=True)
    assert_accessible(page, "a page listing the refused changes")
    # Still there on the next page, until the member says they have read it.
    page.reload()
    refused.locator("li").nth(1).wait_for()
    refused.get_by_role("button", name="Tôi đã đọc").click()
    refused.wait_for(state="hidden")
    page.reload()
    page.locator("h1").first.wait_for()
    assert refused.is_hidden()
    assert ok(cabinet.api(member).get(f"/ballots/{ballot['id']}"))["answers"] == []
    assert errors == []
    context.close()


@pytest.mark.parametrize("how", ["logout", "wipe"])
def test_logging_out_or_a_remote_wipe_leaves_nothing_of_the_meeting_on_the_device(
    cabinet, server_url, browser, how
):
    member = cabinet.members[0]
    meeting, _, (paper,) = _meeting_with_papers(cabinet, "Dự thảo Luật Đất đai")
    context, page, errors = logged_in_page(browser, server_url, member, service_workers="allow")
    _download(page, server_url, meeting, [paper])
    assert not _nothing_kept(page)

    if how == "logout":
        with page.expect_navigation():
            page.get_by_role("button", name="Đăng xuất").click()
        page.wait_for_url("**/login*")
    else:
        admin = cabinet.api(cabinet.admin)
        (device,) = ok(admin.get(f"/users/{member.id}/devices"))
        ok(admin.post(f"/users/{member.id}/devices/{device['id']}/wipe"))
        page.reload()  # the next contact
        page.wait_for_url("**/login?wiped=1", timeout=20000)
        page.locator("[data-device-wiped]").wait_for()
    _until(lambda: _nothing_kept(page))
    assert errors == []
    context.close()


CALL = """async ([method, url, body]) => {
    const response = await fetch(url, {
        method,
        headers: {"Content-Type": "application/json", "X-CSRFToken": document.querySelector('meta[name="csrf-token"]').content},
        body: body === null ? undefined : JSON.stringify(body),
    });
    return {status: response.status, queued: response.headers.get("X-Ecabinet-Queued"),
            body: response.status === 204 ? null : await response.json()};
}"""


def test_notes_made_changed_and_deleted_offline_reach_the_server_in_order(cabinet, server_url, browser):
    """The viewer's own calls, made offline on a downloaded paper: a new note (an id below zero until
    the server gives it one), that note changed, an earlier note changed, another deleted. The list
    the viewer reads meanwhile shows all of it; back online, the server has exactly that."""
    member = cabinet.members[0]
    meeting, _, (paper,) = _meeting_with_papers(cabinet, "Dự thảo Luật Đất đai")
    api = cabinet.api(member)
    url = f"/api/v1/documents/{paper['id']}/annotations"
    note = {"version": 1, "page": 1, "kind": "note", "rects": [[400, 600, 420, 620]]}
    earlier = ok(api.post(f"/documents/{paper['id']}/annotations", json={**note, "text": "Ý kiến cũ"}), 201)
    doomed = ok(api.post(f"/documents/{paper['id']}/annotations", json={**note, "text": "Sẽ xoá"}), 201)
    context, page, errors = logged_in_page(browser, server_url, member, service_workers="allow")
    _download(page, server_url, meeting, [paper])
    page.goto(f"{server_url}/documents/{paper['id']}")

    context.set_offline(True)
    call = lambda method, path, body=None: page.evaluate(CALL, [method, path, body])  # noqa: E731
    made = call("POST", url, {**note, "text": "Ghi chú mới", "client_id": "offline-note-1"})
    assert (made["status"], made["queued"]) == (201, "1") and made["body"]["id"] < 0
    changed = call("PATCH", f"/api/v1/annotations/{made['body']['id']}", {"text": "Ghi chú mới, đã sửa"})
    assert (changed["status"], changed["body"]["text"]) == (200, "Ghi chú mới, đã sửa")
    assert call("PATCH", f"/api/v1/annotations/{earlier['id']}", {"text": "Ý kiến mới"})["status"] == 200
    assert call("DELETE", f"/api/v1/annotations/{doomed['id']}")["status"] == 204
    seen = call("GET", f"{url}?version=1")["body"]
    assert sorted(a["text"] for a in seen) == ["Ghi chú mới, đã sửa", "Ý kiến mới"]
    assert sorted(a["text"] for a in ok(api.get(f"/documents/{paper['id']}/annotations"))) == [
        "Sẽ xoá",
        "Ý kiến cũ",
    ]

    context.set_offline(False)
    page.reload()
    page.locator(".offline-bar").wait_for(state="hidden", timeout=20000)
    saved = ok(api.get(f"/documents/{paper['id']}/annotations"))
    assert sorted((a["text"], a["client_id"] == "offline-note-1") for a in saved) == [
        ("Ghi chú mới, đã sửa", True),
        ("Ý kiến mới", False),
    ]
    assert errors == []
    context.close()


def test_a_new_version_is_downloaded_in_place_of_the_old_one(cabinet, server_url, browser):
    member = cabinet.members[0]
    meeting, _, (paper,) = _meeting_with_papers(cabinet, "Dự thảo Luật Đất đai")
    context, page, errors = logged_in_page(browser, server_url, member, service_workers="allow")
    _download(page, server_url, meeting, [paper])
    first = f"{server_url}/api/v1/documents/{paper['id']}/file?version=1"
    assert _cached(page, first)

    page.goto(f"{server_url}/ballots")  # away from the meeting page, which follows the meeting live
    ok(
        new_version(cabinet.api(cabinet.secretariat), paper["id"], make_pdf("Bản sửa đổi lần 2", "Điều 2.")),
        201,
    )
    page.goto(f"{server_url}/meetings/{meeting['id']}")  # the next contact: version 2 comes, version 1 goes
    second = f"{server_url}/api/v1/documents/{paper['id']}/file?version=2"
    _until(lambda: _cached(page, second) and not _cached(page, first))
    badge = page.locator(f'.documents a[href="/documents/{paper["id"]}"] + .offline-doc')
    badge.and_(page.locator('[data-state="downloaded"]')).wait_for()
    # Offline, the viewer opens the new version from the device.
    context.set_offline(True)
    page.goto(f"{server_url}/documents/{paper['id']}")
    page.wait_for_function("() => document.getElementById('viewer').dataset.state === 'ready'", timeout=20000)
    assert "Phiên bản 2" in page.locator(".vw-sub").inner_text()
    assert errors == []
    context.close()


def test_another_member_logging_in_on_the_tablet_gets_nothing_of_the_first(cabinet, server_url, browser):
    """The first member's session ended without a logout, with a note still waiting: the next member
    to log in neither sees the first one's papers nor sends the note in their own name."""
    first, second = cabinet.members[0], cabinet.members[1]
    meeting, _, (paper,) = _meeting_with_papers(cabinet, "Dự thảo Luật Đất đai")
    context, page, errors = logged_in_page(browser, server_url, first, service_workers="allow")
    _download(page, server_url, meeting, [paper])
    page.goto(f"{server_url}/documents/{paper['id']}")
    context.set_offline(True)
    note = {"version": 1, "page": 1, "kind": "note", "rects": [[400, 600, 420, 620]], "text": "Ghi chú riêng"}
    made = page.evaluate(CALL, ["POST", f"/api/v1/documents/{paper['id']}/annotations", note])
    assert made["queued"] == "1"

    context.clear_cookies()  # the session ends
    context.set_offline(False)
    log_in(page, server_url, second.username)
    _until(lambda: _nothing_kept(page))
    page.reload()
    page.wait_for_timeout(1000)  # what a flush would have sent by now
    for member in (first, second):
        assert ok(cabinet.api(member).get(f"/documents/{paper['id']}/annotations")) == []
    assert errors == []
    context.close()
