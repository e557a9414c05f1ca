"""The document viewer: its page, who gets it, and in a real browser a member who selects words,
highlights them, and finds the mark saved (seen through the API) and drawn again after a reload.

The browser test needs Debian's Chromium and the playwright package (the `browser` extra); without
them it is skipped, unless REQUIRE_BROWSER=1 (CI), where a missing browser is a failure. Playwright
downloads no browser here: it drives /usr/bin/chromium.
"""

from __future__ import annotations

import json
import re

import pytest
from flask import render_template_string

from tests.helpers import ok
from tests.pages import page_login
from tests.pdfs import CORPUS, upload
from tests.steps import (
    WORDS,
    highlight_offline,
    ink_on_page,
    logged_in_page,
    saved_annotations,
    select_words,
    words_on_page,
)

# The `document` fixture (tests/conftest.py) is a published meeting's paper with WORDS on its first page.


def test_viewer_page_for_whoever_may_see_the_document(app, cabinet, document):
    member = page_login(app, cabinet.members[0])
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

    assert page_login(app, cabinet.outsider).get(f"/documents/{document['id']}").status_code == 404
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


@pytest.mark.browser
def test_selected_words_highlighted_are_saved_and_drawn_after_reload(cabinet, document, server_url, browser):
    member = cabinet.members[0]
    context, page, errors = logged_in_page(browser, server_url, member, service_workers="block")

    page.goto(f"{server_url}/documents/{document['id']}")
    words = words_on_page(page, WORDS)
    words.wait_for(timeout=20000)
    select_words(page, words)
    assert WORDS in page.evaluate("window.getSelection().toString()")
    page.click('[data-tool="highlight"]')

    saved = saved_annotations(cabinet.api(member), document["id"])
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
    words = words_on_page(page, WORDS)
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
    context, page, errors = logged_in_page(browser, server_url, member, service_workers="block")
    highlight_offline(context, page, server_url, document)
    page.close(run_before_unload=False)  # gone, as a dropped tab is
    assert ok(cabinet.api(member).get(f"/documents/{document['id']}/annotations")) == []

    context.set_offline(False)
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{server_url}/documents/{document['id']}")
    saved = saved_annotations(cabinet.api(member), document["id"])
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
    context, page, errors = logged_in_page(browser, server_url, member, service_workers="block")
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


@pytest.mark.browser
def test_the_values_of_a_form_left_to_the_viewer_are_seen_in_the_original(cabinet, server_url, browser):
    """A meeting without watermarks shows the paper as uploaded: PDF.js draws the fields of a form
    that asks for it (/NeedAppearances, blank stored appearances), "Bob" too, in a multi-line field
    lower than one line of its font (drawn as specks until static/vendor/pdfjs/VERSION's change)."""
    meeting = cabinet.meeting("published", watermark="none")
    item = cabinet.item(meeting["id"], "Phiếu đăng ký")
    data = (CORPUS / "pypdf-libreoffice-form.pdf").read_bytes()
    document = ok(upload(cabinet.api(cabinet.secretariat), item["id"], data), 201)
    context, page, errors = logged_in_page(browser, server_url, cabinet.members[0], service_workers="block")
    page.goto(f"{server_url}/documents/{document['id']}")
    # The fields' rectangles in the paper (PDF points): "Alice", "Bob" (multi-line), the empty Birthday.
    alice, bob = [119.549, 710.39, 203.901, 718.138], [77.249, 490.99, 230.801, 499.438]
    birthday = [119.699, 692.64, 232.551, 704.638]
    # Drawn text inks some 4 to 10 % of a field's pixels (as in the watermarked copy); nothing, none.
    assert ink_on_page(page, alice) > 0.02 and ink_on_page(page, bob) > 0.02
    assert ink_on_page(page, birthday) == 0
    assert page.locator(".vw-page :is(input, textarea, select)").count() == 0  # no field to edit
    assert errors == []
    context.close()
