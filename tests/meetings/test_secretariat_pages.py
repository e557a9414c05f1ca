"""The secretariat's preparation pages: papers on a draft, refusals in the page's language, the
meeting book's button, the order of the meeting list, forms that keep what was typed."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from ecabinet.meetings.models import Meeting
from ecabinet.meetings.views import in_list_order
from tests.helpers import assert_error, ok
from tests.pages import PageBrowser
from tests.pdfs import make_pdf, upload

# Its meetings only need to be there: built through the services (the API's own tests use HTTP).
pytestmark = pytest.mark.built_by_services


def _upload_from_page(b: PageBrowser, page: str, item_id: int, data: bytes, **form):
    """What the meeting page's script sends: multipart with the login cookie and the page's token."""
    return b.client.post(
        f"/api/v1/agenda/{item_id}/documents",
        data={"file": (io.BytesIO(data), "to-trinh.pdf"), **form},
        headers={"X-CSRFToken": b.token(page), "Accept": "application/json"},
    )


def test_papers_are_uploaded_to_a_draft_under_the_title_typed(pages, cabinet):
    meeting = cabinet.meeting("draft")
    item = cabinet.item(meeting["id"])
    page = f"/meetings/{meeting['id']}"
    b = pages(cabinet.secretariat)
    text = b.text(page)
    # The upload tools work on a draft: their script and words are on the page.
    assert "js/documents-admin.js" in text and 'id="documents-admin-strings"' in text
    assert 'data-action="upload"' in text and "Kiểm tra tên từng tài liệu rồi bấm Tải lên." in text
    # Nothing is discussed in a draft: no empty "now discussing" bar.
    assert "now-banner" not in text

    response = _upload_from_page(b, page, item["id"], make_pdf("Tờ trình"), title="Tờ trình số 15/TTr-BTP")
    assert response.status_code == 201, response.get_json()
    assert "Tờ trình số 15/TTr-BTP" in b.text(page)


def test_refusals_speak_the_page_language_and_tablets_keep_the_codes(pages, cabinet):
    meeting = cabinet.meeting("draft")
    item = cabinet.item(meeting["id"])
    page = f"/meetings/{meeting['id']}"
    b = pages(cabinet.secretariat)

    refused = _upload_from_page(b, page, item["id"], b"just text, not a pdf")
    assert refused.status_code == 415
    error = refused.get_json()["error"]
    assert error == {
        "code": "not_pdf",
        "message": "Tệp không phải là PDF. Vui lòng tải tài liệu lên dưới dạng tệp PDF.",
    }

    b.get("/lang/en")
    refused = _upload_from_page(b, page, item["id"], b"just text, not a pdf")
    assert (
        refused.get_json()["error"]["message"] == "The file is not a PDF. Upload the document as a PDF file."
    )
    closed = cabinet.meeting("closed")
    refused = b.client.post(
        f"/api/v1/meetings/{closed['id']}/publish", headers={"X-CSRFToken": b.token(page)}
    )
    assert refused.status_code == 409
    assert refused.get_json()["error"]["message"] == "This cannot be done in the meeting's present state."

    # A tablet (bearer token) reads the contract's English, whatever its language cookie.
    tablet = cabinet.api(cabinet.secretariat)
    refused = tablet.post(
        f"/agenda/{item['id']}/documents", data={"file": (io.BytesIO(b"not a pdf"), "x.pdf")}
    )
    assert refused.status_code == 415
    assert refused.get_json()["error"] == {"code": "not_pdf", "message": "The file is not a PDF"}


def test_the_meeting_book_button_tells_its_pages_and_when_it_was_built(pages, cabinet):
    meeting = cabinet.meeting("published")
    item = cabinet.item(meeting["id"])
    upload(cabinet.api(cabinet.secretariat), item["id"], make_pdf("Một", "Hai", "Ba"), title="Tờ trình")
    page = f"/meetings/{meeting['id']}"
    book = f"/api/v1/meetings/{meeting['id']}/book.pdf"
    member = pages(cabinet.members[0])

    text = member.text(page)
    assert f'href="{book}"' in text and "Tài liệu phiên họp" in text
    assert "Đang chuẩn bị: mở ngay bây giờ thì hệ thống sẽ ghép tài liệu" in text
    before = datetime.now(UTC).replace(second=0, microsecond=0)
    assert member.get(book, buffered=True).status_code == 200

    text = member.text(page)
    state = re.search(r'<span class="muted book-state">([^<]*)</span>', text).group(1)
    built = datetime.strptime(state.split("tạo lúc ")[1], "%H:%M %d/%m/%Y").replace(tzinfo=UTC) - timedelta(
        hours=7
    )
    assert state.startswith("5 trang · tạo lúc ")  # cover, agenda and the paper's three pages
    assert before <= built <= datetime.now(UTC)
    # The secretariat has the button too; someone who takes no part has no book (nor the meeting).
    assert f'href="{book}"' in pages(cabinet.secretariat).text(page)
    assert pages(cabinet.outsider).get(page).status_code == 404

    # A new paper makes the built book out of date: the button says it is to be built again.
    upload(cabinet.api(cabinet.secretariat), item["id"], make_pdf("Bốn"), title="Phụ lục")
    assert "Đang chuẩn bị" in member.text(page)


def _meeting(id_: int, status: str, starts: datetime, ends: datetime | None = None) -> Meeting:
    return Meeting(id=id_, title=str(id_), status=status, starts_at=starts, ends_at=ends)


def test_the_list_puts_the_session_first_then_what_comes_then_the_past(app):
    now = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)  # 10:00 in Ha Noi
    hours = timedelta(hours=1)
    meetings = [
        _meeting(1, "closed", now - 30 * 24 * hours),
        _meeting(2, "published", now + 48 * hours),
        _meeting(3, "closed", now - 3 * 24 * hours),
        _meeting(4, "in_progress", now - hours),
        _meeting(5, "draft", now + 24 * hours),
        _meeting(6, "published", now - 2 * hours),  # this morning, not opened yet: still today's
        _meeting(7, "draft", now - 10 * 24 * hours),  # never held
        _meeting(8, "closed", now - 2 * hours, now - hours),  # over this morning
    ]
    with app.test_request_context():
        assert [m.id for m in in_list_order(meetings, now)] == [4, 6, 5, 2, 8, 3, 7, 1]


def test_the_list_page_shows_that_order(pages, cabinet):
    soon = datetime.now(UTC) + timedelta(days=2)
    later = cabinet.meeting(
        "published", title="Phiên họp sau", starts_at=(soon + timedelta(days=7)).isoformat()
    )
    earlier = cabinet.meeting(
        "closed", title="Phiên họp đã qua", starts_at=(soon - timedelta(days=30)).isoformat()
    )
    next_one = cabinet.meeting("draft", title="Phiên họp sắp tới", starts_at=soon.isoformat())
    running = cabinet.meeting("in_progress", title="Phiên họp đang diễn ra", starts_at=soon.isoformat())
    text = pages(cabinet.secretariat).text("/meetings")
    titles = [m["title"] for m in (running, next_one, later, earlier)]
    assert sorted(titles, key=text.index) == titles


def _meeting_form(cabinet, **overrides) -> dict:
    soon = datetime.now(UTC) + timedelta(days=3)
    start = soon.astimezone(timezone(timedelta(hours=7))).strftime("%Y-%m-%dT08:00")
    form = {
        "title": "Phiên họp chuyên đề về xây dựng pháp luật",
        "kind": "thematic",
        "chair_id": str(cabinet.chair.id),
        "starts_at": start,
        "ends_at": start.replace("T08:00", "T11:30"),
        "location": "Phòng họp số 1, Trụ sở Chính phủ",
        "quorum_numerator": "2",
        "quorum_denominator": "3",
        "participants": [str(m.id) for m in cabinet.members[:2]],
    }
    form.update(overrides)
    return form


def _kept(text: str, form: dict, cabinet) -> None:
    """Everything typed is in the form again."""
    for name in ("title", "starts_at", "ends_at", "location"):
        assert re.search(rf'name="{name}"[^>]* value="{re.escape(form[name])}"', text), name
    assert re.search(rf'<option value="{cabinet.chair.id}" selected>', text)
    checked = set(re.findall(r'name="participants" value="(\d+)" checked', text))
    assert checked == set(form["participants"])


def test_a_refused_meeting_form_keeps_what_was_typed_and_marks_the_field(pages, cabinet):
    b = pages(cabinet.secretariat)
    form = _meeting_form(cabinet)
    wrong = dict(form, ends_at=form["starts_at"].replace("T08:00", "T07:00"))
    refused = b.post("/meetings/new", wrong, page="/meetings/new")
    assert refused.status_code == 400
    text = refused.get_data(as_text=True)
    _kept(text, wrong, cabinet)
    assert re.search(r'name="ends_at"[^>]* aria-invalid="true" aria-describedby="error-ends_at"', text)
    assert (
        '<span class="field-error" id="error-ends_at">Vui lòng kiểm tra thời gian kết thúc: '
        "phiên họp phải kết thúc sau thời điểm bắt đầu.</span>" in text
    )
    assert "Chưa lưu: vui lòng sửa các mục được đánh dấu bên dưới." in text
    assert form["title"] not in b.text("/meetings")  # nothing saved

    created = b.post("/meetings/new", form, page="/meetings/new")
    assert created.status_code == 302
    assert form["title"] in b.text(created.headers["Location"])

    # A field the service refuses (the chair) is marked the same way, in English on an English page.
    b.get("/lang/en")
    refused = b.post("/meetings/new", dict(form, chair_id=str(cabinet.observer.id)), page="/meetings/new")
    assert refused.status_code == 400
    assert (
        '<span class="field-error" id="error-chair_id">The chair must be an active cabinet member.</span>'
        in refused.get_data(as_text=True)
    )


def test_a_meeting_dated_in_the_past_is_confirmed_first(pages, cabinet):
    b = pages(cabinet.secretariat)
    form = _meeting_form(cabinet, starts_at="2025-03-02T08:00", ends_at="")
    asked = b.post("/meetings/new", form, page="/meetings/new")
    assert asked.status_code == 200
    text = asked.get_data(as_text=True)
    assert "Thời gian bắt đầu phiên họp đã qua." in text and 'name="confirm_past"' in text
    _kept(text, form, cabinet)
    assert form["title"] not in b.text("/meetings")

    created = b.post("/meetings/new", dict(form, confirm_past="on"), page="/meetings/new")
    assert created.status_code == 302
    page = created.headers["Location"]
    # Later edits that keep the start are not asked about again; the settings the form does not
    # show stay as they were.
    meeting_id = int(page.rsplit("/", 1)[1])
    sec = cabinet.api(cabinet.secretariat)
    assert sec.patch(f"/meetings/{meeting_id}", json={"watermark": "all"}).status_code == 200
    saved = b.post(f"{page}/edit", dict(form, location="Hội trường"), page=f"{page}/edit")
    assert saved.status_code == 302
    after = sec.get(f"/meetings/{meeting_id}").get_json()
    assert after["location"] == "Hội trường" and after["watermark"] == "all"


def test_a_refused_item_form_comes_back_as_typed(pages, cabinet):
    meeting = cabinet.meeting("draft")
    item = cabinet.item(meeting["id"], "Dự án Luật Dữ liệu", presenter="Bộ trưởng Bộ Công an")
    edit = f"/agenda/{item['id']}/edit"
    b = pages(cabinet.secretariat)
    refused = b.post(
        edit,
        {"title": "Dự án Luật Dữ liệu (sửa)", "duration_minutes": "-5", "presenter": "Thứ trưởng"},
        page=edit,
    )
    assert refused.status_code == 400
    text = refused.get_data(as_text=True)
    assert 'value="Dự án Luật Dữ liệu (sửa)"' in text and 'value="Thứ trưởng"' in text
    assert '<span class="field-error" id="error-duration_minutes">' in text
    assert (
        cabinet.api(cabinet.secretariat).get(f"/meetings/{meeting['id']}").get_json()["agenda"][0]["title"]
        == "Dự án Luật Dữ liệu"
    )


def test_the_secretariat_withdraws_the_clerks_clearance_on_the_meeting_form(pages, cabinet):
    """The meeting's clerk is cleared for its confidential items unless the secretariat unticks them on
    the meeting's form; a refused form keeps the tick as it was left."""
    b = pages(cabinet.secretariat)
    clerk = cabinet.api(cabinet.clerk)
    form = _meeting_form(cabinet, participants=[str(cabinet.members[0].id), str(cabinet.clerk.id)])
    new = b.text("/meetings/new")
    assert "Thư ký được xem nội dung mật" in new
    assert re.search(rf'name="clerks_cleared" value="{cabinet.clerk.id}" checked', new)  # cleared by default

    created = b.post(
        "/meetings/new", dict(form, clerks_cleared=[str(cabinet.clerk.id)]), page="/meetings/new"
    )
    page = created.headers["Location"]
    meeting_id = int(page.rsplit("/", 1)[1])
    secret = cabinet.item(meeting_id, "Phương án nhân sự", confidential=True)
    ok(cabinet.api(cabinet.secretariat).post(f"/meetings/{meeting_id}/publish"))  # the clerk sees it now
    assert ok(clerk.get(f"/agenda/{secret['id']}"))["title"] == "Phương án nhân sự"

    # Unticked, with the end before the start: refused, and the tick stays off.
    wrong = dict(form, ends_at=form["starts_at"].replace("T08:00", "T07:00"))
    refused = b.post(f"{page}/edit", wrong, page=f"{page}/edit").get_data(as_text=True)
    assert re.search(rf'name="clerks_cleared" value="{cabinet.clerk.id}" >', refused)
    assert ok(clerk.get(f"/agenda/{secret['id']}"))["title"] == "Phương án nhân sự"
    assert b.post(f"{page}/edit", form, page=f"{page}/edit").status_code == 302
    assert_error(clerk.get(f"/agenda/{secret['id']}"), 404)
    assert re.search(rf'name="clerks_cleared" value="{cabinet.clerk.id}" >', b.text(f"{page}/edit"))

    # Ticked again: cleared again.
    again = dict(form, clerks_cleared=[str(cabinet.clerk.id)])
    assert b.post(f"{page}/edit", again, page=f"{page}/edit").status_code == 302
    assert ok(clerk.get(f"/agenda/{secret['id']}"))["id"] == secret["id"]
