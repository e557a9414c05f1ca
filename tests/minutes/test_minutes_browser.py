"""The minutes editor in a real browser: the clerk types, the page saves by itself, the text is there
after a reload and in the API; a save on a stale revision shows the other version and lets the clerk
choose; the page follows the chair to the item under discussion.

Needs Debian's Chromium and the playwright package (the `browser` extra); without them the test is
skipped, unless REQUIRE_BROWSER=1 (CI), where a missing browser is a failure. Playwright downloads no
browser here: it drives /usr/bin/chromium.
"""

from __future__ import annotations

import pytest

from tests.browser import log_in
from tests.helpers import ok

pytestmark = pytest.mark.browser

NOTES = "Bộ trưởng Bộ Tài chính trình bày tờ trình; các thành viên thống nhất cao."
DECISION = "Thông qua dự án Luật, giao Bộ Tài chính tiếp thu, hoàn thiện."


@pytest.fixture
def meeting(cabinet):
    found = cabinet.meeting("in_progress")
    items = [
        cabinet.item(found["id"], "Dự án Luật Đất đai (sửa đổi)", presenter="Bộ trưởng Bộ Tài chính"),
        cabinet.item(found["id"], "Tình hình kinh tế - xã hội tháng 11"),
        cabinet.item(found["id"], "Các vấn đề khác"),
    ]
    return found, items


@pytest.fixture
def clerk_page(cabinet, server_url, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="vi-VN")
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    log_in(page, server_url, cabinet.clerk.username)
    yield page
    context.close()


def _wait_saved(page) -> None:
    page.wait_for_function(
        "() => document.querySelector('.save-state').dataset.state === 'saved'"
        " && document.querySelector('.save-text').textContent.startsWith('Đã lưu lúc')",
        timeout=15000,
    )


def _entry(minutes: dict, item_id: int) -> dict:
    return next(e for e in minutes["entries"] if e["agenda_item_id"] == item_id)


def test_the_clerks_notes_are_saved_while_typing_and_there_after_a_reload(
    cabinet, meeting, server_url, clerk_page
):
    found, (land, *_) = meeting
    page = clerk_page
    page.goto(f"{server_url}/meetings/{found['id']}/minutes")
    assert page.locator(".save-text").inner_text() == "Chưa có nội dung"

    page.click(f"#notes-{land['id']}")
    page.keyboard.type(NOTES, delay=5)  # typed, not filled: the page saves after the typing stops
    page.wait_for_function(
        "() => ['unsaved', 'saving', 'saved'].includes(document.querySelector('.save-state').dataset.state)"
    )
    _wait_saved(page)
    page.fill(f"#decision-{land['id']}", DECISION)
    page.click("#summary")  # leaving the field saves it at once
    _wait_saved(page)
    assert page.locator(".save-revision").inner_text() in ("Phiên bản 2", "Phiên bản 3")

    page.reload()
    assert page.input_value(f"#notes-{land['id']}") == NOTES
    assert page.input_value(f"#decision-{land['id']}") == DECISION
    assert page.locator(".save-text").inner_text().startswith("Đã lưu lúc")

    minutes = ok(cabinet.api(cabinet.clerk).get(f"/meetings/{found['id']}/minutes"))
    entry = _entry(minutes, land["id"])
    assert (entry["notes"], entry["decision"]) == (NOTES, DECISION)
    assert page.errors == []


def test_a_stale_save_shows_the_other_version_and_the_clerk_chooses(cabinet, meeting, server_url, clerk_page):
    found, (land, *_) = meeting
    path = f"/meetings/{found['id']}/minutes"
    clerk = cabinet.api(cabinet.clerk)
    ok(clerk.put(path, json={"entries": [{"agenda_item_id": land["id"], "decision": "Thông qua."}]}))
    page = clerk_page
    page.goto(f"{server_url}{path}")

    # The secretariat saves on top of revision 1 from its own desk; the clerk's page still shows it.
    theirs = "Thông qua; giao Bộ Tài chính báo cáo Thủ tướng trước ngày 15/12."
    ok(
        cabinet.api(cabinet.secretariat).put(
            path,
            json={
                "summary": "Phiên họp diễn ra đúng chương trình.",
                "entries": [{"agenda_item_id": land["id"], "decision": theirs}],
                "revision": 1,
            },
        )
    )
    page.fill(f"#decision-{land['id']}", "Thông qua dự án Luật.")
    page.fill(f"#notes-{land['id']}", NOTES)
    page.click("#summary")

    conflict = page.locator(".conflict")
    conflict.wait_for(state="visible", timeout=15000)
    assert theirs in conflict.locator(".conflict-text.theirs .prose").all_inner_texts()
    assert "Thông qua dự án Luật." in conflict.locator(".conflict-text.mine .prose").all_inner_texts()
    assert "Văn phòng Chính phủ" in conflict.locator(".conflict-who").inner_text()
    assert page.locator(".save-state").get_attribute("data-state") == "conflict"
    # Nothing was overwritten while the clerk had not chosen.
    assert _entry(ok(clerk.get(path)), land["id"])["decision"] == theirs

    page.click(".conflict-mine")
    _wait_saved(page)
    assert conflict.is_hidden()
    assert page.input_value("#summary") == "Phiên họp diễn ra đúng chương trình."  # theirs, untouched by me
    minutes = ok(clerk.get(path))
    assert minutes["revision"] == 3
    assert minutes["summary"] == "Phiên họp diễn ra đúng chương trình."
    assert _entry(minutes, land["id"])["decision"] == "Thông qua dự án Luật."
    assert _entry(minutes, land["id"])["notes"] == NOTES
    assert page.errors == []


def test_the_page_follows_the_chair_to_the_item_under_discussion(cabinet, meeting, server_url, clerk_page):
    found, (_, economy, _) = meeting
    page = clerk_page
    page.goto(f"{server_url}/meetings/{found['id']}/minutes")
    page.wait_for_function(
        "() => window.ecabinetMinutes && window.ecabinetMinutes.live.online", timeout=15000
    )

    ok(
        cabinet.api(cabinet.chair).post(
            f"/meetings/{found['id']}/current", json={"agenda_item_id": economy["id"]}
        )
    )
    page.wait_for_function(
        f"() => document.activeElement && document.activeElement.id === 'notes-{economy['id']}'"
    )
    assert "current" in page.locator(f"#minutes-item-{economy['id']}").get_attribute("class")
    page.keyboard.type("Phó Thủ tướng báo cáo.")
    _wait_saved(page)
    entry = _entry(ok(cabinet.api(cabinet.clerk).get(f"/meetings/{found['id']}/minutes")), economy["id"])
    assert entry["notes"] == "Phó Thủ tướng báo cáo."
    assert page.errors == []
