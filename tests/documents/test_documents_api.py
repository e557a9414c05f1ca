"""Agenda documents as a tablet and the secretariat use them."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.constants import PageLabelStyle

from tests.helpers import assert_error
from tests.pdfs import broken_pdf, encrypted_pdf, make_pdf, stored_originals, upload

# Its meetings only need to be there: built through the services (the API's own tests use HTTP).
pytestmark = pytest.mark.built_by_services


@pytest.fixture
def meeting(cabinet):
    meeting = cabinet.meeting("published")
    item = cabinet.item(meeting["id"], "Dự án Luật Đất đai (sửa đổi)")
    secret = cabinet.item(meeting["id"], "Nhân sự", confidential=True, restricted_to=[cabinet.members[0].id])
    return {"meeting": meeting, "item": item, "secret": secret}


def test_upload_stores_by_content_and_answers_the_contract(app, cabinet, meeting):
    sec = cabinet.api(cabinet.secretariat)
    data = make_pdf("Tờ trình về Luật Đất đai", "Trang hai")
    r = upload(
        sec, meeting["item"]["id"], data, filename="../../etc/Tờ trình số 1.pdf", title="Tờ trình Chính phủ"
    )
    assert r.status_code == 201, r.get_json()
    doc = r.get_json()
    assert doc["title"] == "Tờ trình Chính phủ"
    assert {"id", "number", "page_count", "sha256", "size"} <= set(doc["version"])
    assert doc["version"]["number"] == 1 and doc["version"]["page_count"] == 2
    assert doc["version"]["size"] == len(data)
    assert doc["version"]["filename"] == "Tờ trình số 1.pdf"  # no folders kept
    stored = stored_originals(app)
    assert [p.name for p in stored] == [doc["version"]["sha256"]]  # the server's name, not the client's
    # The same content again is stored once.
    again = upload(sec, meeting["item"]["id"], data, filename="copy.pdf")
    assert again.status_code == 201
    assert len(stored_originals(app)) == 1
    # Members see it on the agenda and can fetch the file.
    member = cabinet.api(cabinet.members[1])
    agenda = member.get(f"/meetings/{meeting['meeting']['id']}").get_json()["agenda"]
    assert [d["title"] for d in agenda[0]["documents"]] == ["Tờ trình Chính phủ", "copy"]
    file = member.get(f"/documents/{doc['id']}/file")
    assert file.status_code == 200 and file.mimetype == "application/pdf"
    assert file.data == data


def test_new_version_numbers_up_and_old_versions_stay(cabinet, meeting):
    sec = cabinet.api(cabinet.secretariat)
    doc = upload(sec, meeting["item"]["id"], make_pdf("Bản một")).get_json()
    r = sec.post(
        f"/documents/{doc['id']}/versions",
        data={"file": (io.BytesIO(make_pdf("Bản hai", "Thêm")), "v2.pdf")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["number"] == 2 and r.get_json()["page_count"] == 2
    meta = sec.get(f"/documents/{doc['id']}").get_json()
    assert [v["number"] for v in meta["versions"]] == [1, 2]
    member = cabinet.api(cabinet.members[1])
    latest = PdfReader(io.BytesIO(member.get(f"/documents/{doc['id']}/file").data))
    first = PdfReader(io.BytesIO(member.get(f"/documents/{doc['id']}/file?version=1").data))
    assert len(latest.pages) == 2 and "Bản một" in first.pages[0].extract_text()
    assert_error(member.get(f"/documents/{doc['id']}/file?version=9"), 404)
    assert_error(member.get(f"/documents/{doc['id']}/file?version=abc"), 400)


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        (b"just text, not a pdf", 415, "not_pdf"),
        (b"\x89PNG\r\n\x1a\n" + b"0" * 100, 415, "not_pdf"),
        (b"", 415, "empty_file"),
        ("encrypted", 415, "encrypted_pdf"),
        ("broken", 415, "broken_pdf"),
        ("no pages", 415, "empty_pdf"),
    ],
)
def test_bad_uploads_are_refused_and_leave_nothing(app, cabinet, meeting, data, status, code):
    data = {"encrypted": encrypted_pdf, "broken": broken_pdf, "no pages": _pageless_pdf}.get(
        data, lambda: data
    )()
    sec = cabinet.api(cabinet.secretariat)
    error = assert_error(upload(sec, meeting["item"]["id"], data), status, code)
    assert error["message"]
    assert stored_originals(app) == []
    agenda = sec.get(f"/meetings/{meeting['meeting']['id']}").get_json()["agenda"]
    assert [i["documents"] for i in agenda] == [[], []]  # the item and the confidential one


def _pageless_pdf() -> bytes:
    out = io.BytesIO()
    PdfWriter().write(out)
    return out.getvalue()


def test_too_large_upload_is_refused_before_storing(app, cabinet, meeting):
    app.config["ECABINET_MAX_UPLOAD_MB"] = 1
    sec = cabinet.api(cabinet.secretariat)
    big = make_pdf("Lớn") + b"%" * (1024 * 1024 + 10)
    assert_error(upload(sec, meeting["item"]["id"], big), 413)
    assert stored_originals(app) == []


def test_request_body_over_the_limit_is_refused_from_its_length(app, cabinet, meeting):
    app.config["MAX_CONTENT_LENGTH"] = 2048
    sec = cabinet.api(cabinet.secretariat)
    assert_error(upload(sec, meeting["item"]["id"], make_pdf("x") + b" " * 4096), 413)


def test_upload_without_file_field_is_invalid(cabinet, meeting):
    sec = cabinet.api(cabinet.secretariat)
    assert_error(sec.post(f"/agenda/{meeting['item']['id']}/documents", json={"file": "x"}), 400)
    r = sec.post(
        f"/agenda/{meeting['item']['id']}/documents",
        data={"title": "no file"},
        content_type="multipart/form-data",
    )
    assert_error(r, 400)


def test_who_may_upload_and_see(cabinet, meeting):
    member = cabinet.api(cabinet.members[0])
    outsider = cabinet.api(cabinet.outsider)
    assert_error(upload(member, meeting["item"]["id"], make_pdf()), 403)
    assert_error(upload(outsider, meeting["item"]["id"], make_pdf()), 404)
    sec = cabinet.api(cabinet.secretariat)
    doc = upload(sec, meeting["item"]["id"], make_pdf()).get_json()
    assert_error(outsider.get(f"/documents/{doc['id']}"), 404)
    assert_error(outsider.get(f"/documents/{doc['id']}/file"), 404)
    assert_error(member.patch(f"/documents/{doc['id']}", json={"title": "Mới"}), 403)
    assert_error(member.delete(f"/documents/{doc['id']}"), 403)


def test_confidential_items_documents_follow_the_item(cabinet, meeting):
    sec = cabinet.api(cabinet.secretariat)
    doc = upload(
        sec, meeting["secret"]["id"], make_pdf("Phương án nhân sự mật"), title="Phương án nhân sự"
    ).get_json()
    cleared, other = cabinet.api(cabinet.members[0]), cabinet.api(cabinet.members[1])
    assert cleared.get(f"/documents/{doc['id']}").status_code == 200
    for path in (
        f"/documents/{doc['id']}",
        f"/documents/{doc['id']}/file",
        f"/documents/{doc['id']}/annotations",
    ):
        assert_error(other.get(path), 404)
    assert other.get("/search?q=nhan su").get_json() == []
    assert [h["document_id"] for h in cleared.get("/search?q=nhan su").get_json()] == [doc["id"]]
    events = other.get(f"/meetings/{meeting['meeting']['id']}/events").get_json()
    added = [e for e in events if e["type"] == "document.added"]
    assert added == []


def test_confidential_download_carries_the_readers_name(cabinet, meeting):
    sec = cabinet.api(cabinet.secretariat)
    doc = upload(sec, meeting["secret"]["id"], make_pdf("Nội dung mật")).get_json()
    cleared = cabinet.api(cabinet.members[0])
    pdf = PdfReader(io.BytesIO(cleared.get(f"/documents/{doc['id']}/file").data))
    text = pdf.pages[0].extract_text()
    assert "Nội dung mật" in text
    assert f"Bản của {cabinet.members[0].full_name}" in text
    # An ordinary item's document is sent as stored.
    plain = upload(sec, meeting["item"]["id"], make_pdf("Công khai")).get_json()
    assert (
        "Bản của"
        not in PdfReader(io.BytesIO(cleared.get(f"/documents/{plain['id']}/file").data))
        .pages[0]
        .extract_text()
    )


def test_watermark_policy_all_stamps_every_download(cabinet, meeting):
    sec = cabinet.api(cabinet.secretariat)
    assert sec.patch(f"/meetings/{meeting['meeting']['id']}", json={"watermark": "all"}).status_code == 200
    doc = upload(sec, meeting["item"]["id"], make_pdf("Một", "Hai", "Ba")).get_json()
    member = cabinet.api(cabinet.members[1])
    pdf = PdfReader(io.BytesIO(member.get(f"/documents/{doc['id']}/file").data))
    assert all(f"Bản của {cabinet.members[1].full_name}" in p.extract_text() for p in pdf.pages)
    # One shared overlay object, not one per page.
    forms = {p["/Resources"]["/XObject"].raw_get("/ECWM").idnum for p in pdf.pages}
    assert len(forms) == 1


def test_a_watermarked_copy_keeps_the_documents_outline_labels_and_information(cabinet, meeting):
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf("Mở đầu", "Điều 1", "Điều 2"))))
    writer.add_outline_item(title="Chương I. Quy định chung", page_number=1)
    writer.set_page_label(0, 0, style=PageLabelStyle.UPPERCASE_LETTER)
    writer.set_page_label(1, 2, style=PageLabelStyle.DECIMAL)
    writer.add_metadata({"/Title": "Tờ trình Luật Đất đai"})
    source = io.BytesIO()
    writer.write(source)
    sec = cabinet.api(cabinet.secretariat)
    doc = upload(sec, meeting["secret"]["id"], source.getvalue()).get_json()
    copy = PdfReader(io.BytesIO(cabinet.api(cabinet.members[0]).get(f"/documents/{doc['id']}/file").data))
    assert "Bản của" in copy.pages[1].extract_text() and "Điều 1" in copy.pages[1].extract_text()
    assert [entry.title for entry in copy.outline] == ["Chương I. Quy định chung"]
    assert copy.get_destination_page_number(copy.outline[0]) == 1
    assert copy.page_labels == ["A", "1", "2"]
    assert copy.metadata.title == "Tờ trình Luật Đất đai"


def test_search_is_accent_insensitive_and_names_pages(cabinet, meeting):
    sec = cabinet.api(cabinet.secretariat)
    doc = upload(
        sec,
        meeting["item"]["id"],
        make_pdf("Mở đầu", "Chính sách đất đai mới", "Kết luận về Đất Đai"),
        title="Dự thảo Luật",
    ).get_json()
    member = cabinet.api(cabinet.members[1])
    hits = member.get("/search?q=dat dai").get_json()
    assert [(h["document_id"], h["pages"]) for h in hits] == [(doc["id"], [2, 3])]
    assert "đất đai" in hits[0]["snippet"]
    assert [h["document_id"] for h in member.get("/search?q=DỰ THẢO").get_json()] == [doc["id"]]
    assert member.get("/search?q=khong co").get_json() == []
    assert_error(member.get("/search?q="), 400)
    assert member.get("/search?q=100%_").get_json() == []


def test_retitle_and_remove(cabinet, meeting):
    sec = cabinet.api(cabinet.secretariat)
    doc = upload(sec, meeting["item"]["id"], make_pdf()).get_json()
    r = sec.patch(f"/documents/{doc['id']}", json={"title": "Báo cáo thẩm định"})
    assert r.status_code == 200 and r.get_json()["title"] == "Báo cáo thẩm định"
    assert_error(sec.patch(f"/documents/{doc['id']}", json={"title": 5}), 400)
    assert sec.delete(f"/documents/{doc['id']}").status_code == 204
    assert_error(sec.get(f"/documents/{doc['id']}"), 404)
    assert_error(sec.delete(f"/documents/{doc['id']}"), 404)


def test_closed_meeting_takes_no_new_documents(cabinet):
    meeting = cabinet.meeting("published")
    item = cabinet.item(meeting["id"])
    sec = cabinet.api(cabinet.secretariat)
    sec.post(f"/meetings/{meeting['id']}/start")
    sec.post(f"/meetings/{meeting['id']}/close")
    assert_error(upload(sec, item["id"], make_pdf()), 409)


def test_a_viewer_reading_in_byte_ranges_is_one_download_in_the_log(app, cabinet, meeting):
    from sqlalchemy import func, select

    from ecabinet.audit.models import AuditEntry
    from ecabinet.extensions import db

    sec = cabinet.api(cabinet.secretariat)
    doc = upload(sec, meeting["secret"]["id"], make_pdf("Một", "Hai")).get_json()
    cleared = cabinet.api(cabinet.members[0])
    whole = cleared.get(f"/documents/{doc['id']}/file", headers={"Range": "bytes=0-1023"})
    assert whole.status_code == 206
    rest = cleared.get(f"/documents/{doc['id']}/file", headers={"Range": "bytes=1024-"})
    assert rest.status_code == 206
    with app.app_context():
        count = db.session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "document.download")
        )
    assert count == 1
