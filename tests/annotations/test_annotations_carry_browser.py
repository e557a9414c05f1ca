"""In a real browser: a member's highlights, made by selecting words in the viewer, follow the words
onto a new version; the one whose sentence was reworded is listed with a link to where it stays. And
the secretariat's meeting page follows the carrying while it runs."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from ecabinet.annotations.models import NoteCarry
from ecabinet.extensions import db
from tests.browser import Device, assert_accessible
from tests.helpers import ok
from tests.pdfs import laid_out_pdf, new_version, upload
from tests.steps import saved_annotations, select_words, words_on_page

KEPT = "Điều 3. Ngân sách nhà nước bảo đảm kinh phí thực hiện."
REWORDED = "Điều 4. Bộ Tài chính hướng dẫn thi hành Nghị định này."
FILLER = " ".join(f"Khoản {n} quy định thủ tục giao đất, cho thuê đất số {n}." for n in range(1, 45))


@pytest.fixture
def paper(cabinet):
    meeting = cabinet.meeting("published")
    item = cabinet.item(meeting["id"], "Dự thảo Nghị định về giá đất")
    data, _ = laid_out_pdf("Điều 1. Phạm vi điều chỉnh.", KEPT, REWORDED)
    return ok(upload(cabinet.api(cabinet.secretariat), item["id"], data, title="Dự thảo Nghị định"), 201)


def _highlight_line(reader: Device, server_url: str, document_id: int, words: str) -> None:
    page = reader.page
    line = words_on_page(page, words)
    line.wait_for(timeout=20000)
    select_words(page, line)
    page.click('[data-tool="highlight"]')
    page.wait_for_function(
        "() => document.getElementById('vw-save').dataset.state === 'saved'", timeout=15000
    )


@pytest.mark.browser
def test_highlights_follow_their_words_and_the_lost_one_is_listed(cabinet, paper, server_url, browser):
    member = cabinet.members[0]
    reader = Device(browser, server_url, member, "carry")
    page = reader.page
    page.goto(f"{server_url}/documents/{paper['id']}")
    page.wait_for_function("() => document.getElementById('viewer').dataset.annotations === 'loaded'")
    _highlight_line(reader, server_url, paper["id"], KEPT)
    _highlight_line(reader, server_url, paper["id"], REWORDED)
    assert len(saved_annotations(cabinet.api(member), paper["id"])) == 2

    # Version 2: a long section comes first, and the last sentence is reworded.
    data, where = laid_out_pdf(
        "Điều 1. Phạm vi điều chỉnh.", FILLER, KEPT, "Điều 4. Bộ Tài chính quy định chi tiết Nghị định này."
    )
    ok(new_version(cabinet.api(cabinet.secretariat), paper["id"], data), 201)
    kept_page = where[2][0][0]
    assert kept_page == 2

    page.goto(f"{server_url}/documents/{paper['id']}")
    drawn = page.locator(f'.vw-page[data-page="{kept_page}"] .vw-highlight rect')
    words = words_on_page(page, KEPT, kept_page)
    page.locator("#vw-page").fill(str(kept_page))
    page.locator("#vw-page").press("Enter")
    words.wait_for(timeout=20000)
    drawn.first.wait_for(state="visible", timeout=20000)
    mark_box, text_box = drawn.first.bounding_box(), words.bounding_box()
    assert abs(mark_box["y"] + mark_box["height"] / 2 - (text_box["y"] + text_box["height"] / 2)) < 4
    assert abs(mark_box["x"] - text_box["x"]) < 4
    assert abs(mark_box["width"] - text_box["width"]) < 8

    notice = page.locator(".vw-left-behind")
    assert notice.locator("summary").inner_text().strip() == "1 ghi chú không tìm thấy trong bản mới"
    notice.locator("summary").click()
    reader.shot("viewer-left-behind")
    assert_accessible(page, "the viewer listing a note left behind")
    link = notice.locator("a")
    assert link.bounding_box()["height"] >= 48
    link.click()
    page.wait_for_url(lambda address: "version=1" in address and "page=1" in address)
    old = page.locator('.vw-page[data-page="1"] .vw-highlight rect')
    old.first.wait_for(state="visible", timeout=20000)
    assert old.count() == 2  # the originals are still on version 1
    words_on_page(page, REWORDED).wait_for()
    reader.shot("viewer-old-version")
    assert reader.close() == []


@pytest.mark.browser
def test_the_secretariat_follows_the_carrying_on_the_meeting_page(app, cabinet, paper, server_url, browser):
    member = cabinet.api(cabinet.members[0])
    ok(
        member.post(
            f"/documents/{paper['id']}/annotations",
            json={
                "version": 1,
                "page": 1,
                "kind": "note",
                "rects": [[300, 500, 320, 520]],
                "text": "Xem lại",
            },
        ),
        201,
    )
    ok(new_version(cabinet.api(cabinet.secretariat), paper["id"], laid_out_pdf("Trang mới.")[0]), 201)
    # As while a long carry runs: the job has looked at 120 of 2,000 notes.
    with app.app_context():
        db.session.execute(
            update(NoteCarry).values(status="running", total=2000, done=120, carried=100, missed=20)
        )
        db.session.commit()
    secretariat = Device(browser, server_url, cabinet.secretariat, "carry", {"width": 1280, "height": 900})
    secretariat.page.goto(f"{server_url}/meetings/{paper['meeting_id']}")
    line = secretariat.page.locator(".doc-carry")
    assert line.inner_text() == "Đang chuyển ghi chú của thành viên từ phiên bản 1: 120/2000"
    secretariat.shot("secretariat-carrying")
    with app.app_context():
        db.session.execute(update(NoteCarry).values(status="done", done=2000, carried=1900, missed=100))
        db.session.commit()
    secretariat.page.wait_for_function(
        "() => document.querySelector('.doc-carry').dataset.status === 'done'", timeout=10000
    )
    assert line.inner_text() == (
        "Ghi chú của thành viên từ phiên bản 1: đã chuyển 1900/2000, 100 không tìm thấy trong bản này"
    )
    assert secretariat.close() == []
