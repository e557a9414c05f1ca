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


@pytest.mark.browser
def test_selected_words_highlighted_are_saved_and_drawn_after_reload(cabinet, document, server_url, browser):
    member = cabinet.members[0]
    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="vi-VN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, server_url, member.username)

    page.goto(f"{server_url}/documents/{document['id']}")
    words = page.locator('.vw-page[data-page="1"] .textLayer.ready span', has_text=WORDS).first
    words.wait_for(timeout=20000)
    box = words.bounding_box()
    middle = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + 1, middle)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] - 1, middle, steps=12)
    page.mouse.up()
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
    page.wait_for_function("document.getElementById('vw-save').dataset.state === 'saved'")

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
