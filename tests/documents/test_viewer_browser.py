"""The document viewer: its page, who gets it, and in a real browser a member who selects words,
highlights them, and finds the mark saved (seen through the API) and drawn again after a reload.

The browser test needs Debian's Chromium and the playwright package (the `browser` extra); without
them it is skipped, unless REQUIRE_BROWSER=1 (CI), where a missing browser is a failure. Playwright
downloads no browser here: it drives /usr/bin/chromium.
"""

from __future__ import annotations

import json
import re
import time

import pytest
from flask import render_template_string

from tests.browser import log_in
from tests.conftest import PASSWORD
from tests.helpers import ok
from tests.pdfs import make_pdf, upload

WORDS = "Phạm vi điều chỉnh"


@pytest.fixture
def document(cabinet):
    meeting = cabinet.meeting("published")
    item = cabinet.item(meeting["id"], "Dự án Luật Đất đai (sửa đổi)")
    pdf = make_pdf(f"Điều 1. {WORDS} của Luật Đất đai", "Điều 2. Đối tượng áp dụng")
    return ok(upload(cabinet.api(cabinet.secretariat), item["id"], pdf, title="Dự thảo Luật Đất đai"), 201)


def _page_client(app, person):
    """A test client logged in through the login form, as the viewer's reader is."""
    client = app.test_client()
    form = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    response = client.post(
        "/login", data={"csrf_token": token, "username": person.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    return client


def test_viewer_page_for_whoever_may_see_the_document(app, cabinet, document):
    member = _page_client(app, cabinet.members[0])
    response = member.get(f"/documents/{document['id']}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    config = json.loads(re.search(r'id="viewer-config">(.*?)</script>', page).group(1))
    assert config["pageCount"] == 2 and config["version"] == 1 and len(config["pageBoxes"]) == 2
    assert config["fileUrl"] == f"/api/v1/documents/{document['id']}/file?version=1"
    strings = json.loads(re.search(r'id="viewer-strings">(.*?)</script>', page).group(1))
    assert strings["saved"] == "Đã lưu" and strings["kinds"]["highlight"] == "Tô sáng"
    assert f"/meetings/{document['meeting_id']}" in page  # the way back to the meeting
    assert f"/api/v1/documents/{document['id']}/annotated.pdf" in page

    assert _page_client(app, cabinet.outsider).get(f"/documents/{document['id']}").status_code == 404
    assert member.get(f"/documents/{document['id']}?version=2").status_code == 404
    assert member.get("/documents/999999").status_code == 404
    assert app.test_client().get(f"/documents/{document['id']}").status_code == 302  # to the login page


def test_document_list_partial_links_to_the_viewer(app, document):
    with app.test_request_context("/"):
        html = render_template_string(
            '{% with documents=docs %}{% include "documents/_list.html" %}{% endwith %}', docs=[document]
        )
    assert f'href="/documents/{document["id"]}"' in html
    assert "Dự thảo Luật Đất đai" in html and "Phiên bản 1" in html and "2 trang" in html


def _saved_annotations(api, document_id: int, timeout: float = 15) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        found = ok(api.get(f"/documents/{document_id}/annotations"))
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def _reader(browser, server_url, member, service_workers="block"):
    """A member's tablet-sized browser, logged in through the form: its context, page and page errors.
    Without the service worker unless asked: the viewer's tests are of its own keeping of unsaved marks
    (tests/offline has the worker's), and Playwright's offline mode does not reach a service worker's
    requests (its issue 2311), so a mark "made offline" went through it to the server now and then."""
    context = browser.new_context(
        viewport={"width": 1024, "height": 768}, locale="vi-VN", service_workers=service_workers
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, server_url, member.username)
    return context, page, errors


def _select(page, words) -> None:
    """Drag across the words with the mouse, as a finger selects them."""
    box = words.bounding_box()
    middle = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + 1, middle)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] - 1, middle, steps=12)
    page.mouse.up()


def _highlight_offline(context, page, server_url, document) -> None:
    """Open the paper, go offline and highlight words: the mark waits, unsaved, in the browser."""
    page.goto(f"{server_url}/documents/{document['id']}")
    page.wait_for_function("() => document.getElementById('viewer').dataset.annotations === 'loaded'")
    words = page.locator('.vw-page[data-page="1"] .textLayer.ready span', has_text=WORDS).first
    words.wait_for(timeout=20000)
    context.set_offline(True)
    _select(page, words)
    page.click('[data-tool="highlight"]')
    page.wait_for_function(
        "() => document.getElementById('vw-save').dataset.state === 'unsaved'", timeout=10000
    )


@pytest.mark.browser
def test_selected_words_highlighted_are_saved_and_drawn_after_reload(cabinet, document, server_url, browser):
    member = cabinet.members[0]
    context, page, errors = _reader(browser, server_url, member)

    page.goto(f"{server_url}/documents/{document['id']}")
    words = page.locator('.vw-page[data-page="1"] .textLayer.ready span', has_text=WORDS).first
    words.wait_for(timeout=20000)
    _select(page, words)
    assert WORDS in page.evaluate("window.getSelection().toString()")
    page.click('[data-tool="highlight"]')

    saved = _saved_annotations(cabinet.api(member), document["id"])
    assert len(saved) == 1, saved
    mark = saved[0]
    assert (mark["kind"], mark["page"], mark["version"], mark["mine"]) == ("highlight", 1, 1, True)
    assert WORDS in mark["quote"]
    assert mark["client_id"] and len(mark["rects"]) == 1
    x1, y1, x2, y2 = mark["rects"][0]
    assert 0 <= x1 < x2 <= 595.3 and 0 <= y1 < y2 <= 841.9  # PDF points on an A4 page
    assert y1 > 841.9 / 2  # the first line, near the top: the y axis points up
    page.wait_for_function("() => document.getElementById('vw-save').dataset.state === 'saved'")

    page.reload()
    drawn = page.locator(f'.vw-page[data-page="1"] .vw-highlight[data-annotation-id="{mark["id"]}"] rect')
    drawn.wait_for(state="visible", timeout=20000)
    words = page.locator('.vw-page[data-page="1"] .textLayer.ready span', has_text=WORDS).first
    words.wait_for()
    mark_box, text_box = drawn.bounding_box(), words.bounding_box()
    # Drawn over the words it marks: same line, starting where the selection started.
    assert abs(mark_box["y"] + mark_box["height"] / 2 - (text_box["y"] + text_box["height"] / 2)) < 4
    assert abs(mark_box["x"] - text_box["x"]) < 4
    assert errors == []
    context.close()


def test_a_mark_made_offline_survives_the_page_being_closed_and_is_saved_at_the_next_opening(
    cabinet, document, server_url, browser
):
    """iPad Safari drops a background tab without asking: what the member marked while offline must
    still reach the server, once, when they open the document again."""
    member = cabinet.members[0]
    context, page, errors = _reader(browser, server_url, member)
    _highlight_offline(context, page, server_url, document)
    page.close(run_before_unload=False)  # gone, as a dropped tab is
    assert ok(cabinet.api(member).get(f"/documents/{document['id']}/annotations")) == []

    context.set_offline(False)
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{server_url}/documents/{document['id']}")
    saved = _saved_annotations(cabinet.api(member), document["id"])
    assert [(a["kind"], a["page"]) for a in saved] == [("highlight", 1)] and WORDS in saved[0]["quote"]
    page.locator(f'.vw-highlight[data-annotation-id="{saved[0]["id"]}"]').wait_for(timeout=20000)
    page.wait_for_function("() => document.getElementById('vw-save').dataset.state === 'saved'")
    # Opened again, nothing is sent twice and nothing is left waiting.
    page.reload()
    page.wait_for_function("() => document.getElementById('viewer').dataset.annotations === 'loaded'")
    assert len(ok(cabinet.api(member).get(f"/documents/{document['id']}/annotations"))) == 1
    assert (
        page.evaluate(f"window.localStorage.getItem('ecabinet.unsaved.{member.id}.{document['id']}.1')")
        is None
    )
    assert errors == []
    context.close()


def test_kept_edits_and_deletions_are_applied_to_what_the_server_has(cabinet, document, server_url, browser):
    """What an earlier opening kept (a note's new words, a deleted mark, a new mark) is sent once the
    list is in; a mark deleted meanwhile on another device is not brought back."""
    member = cabinet.members[0]
    api = cabinet.api(member)
    url = f"/documents/{document['id']}/annotations"

    def note(text, **extra):
        body = {"version": 1, "page": 1, "kind": "note", "rects": [[400, 600, 420, 620]], "text": text}
        return ok(api.post(url, json={**body, **extra}), 201)

    edited, deleted, gone = note("Ý kiến cũ"), note("Sẽ xoá"), note("Xoá trên máy khác")
    ok(api.delete(f"/annotations/{gone['id']}"), 204)
    fields = {k: edited[k] for k in ("page", "kind", "rects", "paths", "color", "quote", "shared")}
    kept = [
        {
            "id": edited["id"],
            "client_id": edited["client_id"],
            "deleted": False,
            "fields": {**fields, "text": "Ý kiến mới của Bộ"},
        },
        {"id": deleted["id"], "client_id": deleted["client_id"], "deleted": True, "fields": fields},
        {
            "id": gone["id"],
            "client_id": gone["client_id"],
            "deleted": False,
            "fields": {**fields, "text": "sửa"},
        },
        {
            "id": None,
            "client_id": "6f1c2b1e-0000-4000-8000-000000000001",
            "deleted": False,
            "fields": {**fields, "text": "Ghi chú mới"},
        },
    ]
    context, page, errors = _reader(browser, server_url, member)
    key = f"ecabinet.unsaved.{member.id}.{document['id']}.1"
    page.evaluate("([key, value]) => window.localStorage.setItem(key, value)", [key, json.dumps(kept)])

    page.goto(f"{server_url}/documents/{document['id']}")
    page.wait_for_function("() => document.getElementById('viewer').dataset.annotations === 'loaded'")
    page.wait_for_function(
        "() => document.getElementById('vw-save').dataset.state === 'saved'", timeout=15000
    )
    assert sorted(a["text"] for a in ok(api.get(url))) == ["Ghi chú mới", "Ý kiến mới của Bộ"]
    assert page.evaluate("(key) => window.localStorage.getItem(key)", key) is None
    assert errors == []
    context.close()
