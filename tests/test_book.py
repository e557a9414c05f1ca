"""The meeting book: one PDF per member with what they may see, in agenda order."""

from __future__ import annotations

import io
import time

from pypdf import PdfReader

from ecabinet.common.pdfgen import new_document, to_bytes
from tests.helpers import assert_error
from tests.pdfs import make_pdf, new_version, upload


def _outline_titles(outline, depth=0):
    out = []
    for entry in outline:
        if isinstance(entry, list):
            out.extend(_outline_titles(entry, depth + 1))
        else:
            out.append(("  " * depth) + entry.title)
    return out


def _book(cabinet):
    meeting = cabinet.meeting("published")
    sec = cabinet.api(cabinet.secretariat)
    economy = cabinet.item(meeting["id"], "Tình hình kinh tế - xã hội")
    land = cabinet.item(meeting["id"], "Luật Đất đai (sửa đổi)")
    secret = cabinet.item(
        meeting["id"], "Nhân sự cấp cao", confidential=True, restricted_to=[cabinet.members[0].id]
    )
    upload(sec, economy["id"], make_pdf("Báo cáo KT-XH", "Phụ lục"), title="Báo cáo")
    upload(sec, land["id"], make_pdf("Tờ trình Luật Đất đai"), title="Tờ trình")
    upload(sec, land["id"], make_pdf("Dự thảo", "Điều 2", "Điều 3"), title="Dự thảo Luật")
    upload(sec, secret["id"], make_pdf("Phương án nhân sự"), title="Phương án")
    return meeting


def test_each_member_gets_the_book_they_may_see(cabinet):
    meeting = _book(cabinet)
    cleared = PdfReader(
        io.BytesIO(cabinet.api(cabinet.members[0]).get(f"/meetings/{meeting['id']}/book.pdf").data)
    )
    other_r = cabinet.api(cabinet.members[1]).get(f"/meetings/{meeting['id']}/book.pdf")
    assert other_r.status_code == 200 and other_r.mimetype == "application/pdf"
    other = PdfReader(io.BytesIO(other_r.data))
    front = 2  # cover and agenda
    assert len(cleared.pages) == front + 2 + 1 + 3 + 1
    assert len(other.pages) == front + 2 + 1 + 3
    assert _outline_titles(other.outline) == [
        "Bìa và chương trình họp",
        "1. Tình hình kinh tế - xã hội",
        "  Báo cáo",
        "2. Luật Đất đai (sửa đổi)",
        "  Tờ trình",
        "  Dự thảo Luật",
    ]
    assert "3. Nhân sự cấp cao" in _outline_titles(cleared.outline)
    agenda_page = other.pages[1].extract_text()
    assert "Luật Đất đai (sửa đổi)" in agenda_page and "Nhân sự" not in agenda_page
    assert "Phương án nhân sự" not in "".join(p.extract_text() for p in other.pages)
    # Page labels: roman for the front matter, then 1…n across every document.
    assert other.page_labels[:3] == ["i", "ii", "1"] and other.page_labels[-1] == "6"
    assert "6 / 6" in other.pages[-1].extract_text()
    assert [f"{n} / 6" in page.extract_text() for n, page in enumerate(other.pages[front:], 1)] == [True] * 6
    # The confidential part carries the cleared member's name; the rest does not.
    assert f"Bản của {cabinet.members[0].full_name}" in cleared.pages[-1].extract_text()
    assert "Bản của" not in cleared.pages[2].extract_text()
    # The stamps are objects of their own, written once and shared by every page.
    body = cleared.pages[front:]
    assert len({p["/Resources"]["/Font"].raw_get("/ECPN").idnum for p in body}) == 1
    assert len({p.raw_get("/Contents")[0].idnum for p in body}) == 1
    assert [p["/Resources"].get("/XObject", {}).get("/ECWM") is not None for p in body] == [False] * 6 + [
        True
    ]


def test_the_book_carries_each_papers_images_and_fonts_as_they_are(cabinet):
    from PIL import Image

    pdf = new_document()
    pdf.add_page()
    pdf.image(Image.radial_gradient("L").resize((64, 64)), x=56, y=120, w=200)
    pdf.set_font("Serif", size=14)
    pdf.cell(0, 20, "Bản đồ quy hoạch sử dụng đất")
    scan = to_bytes(pdf)
    meeting = cabinet.meeting("published")
    item = cabinet.item(meeting["id"], "Quy hoạch")
    upload(cabinet.api(cabinet.secretariat), item["id"], scan, title="Bản đồ")
    book = PdfReader(
        io.BytesIO(cabinet.api(cabinet.members[1]).get(f"/meetings/{meeting['id']}/book.pdf").data)
    )
    source = PdfReader(io.BytesIO(scan)).pages[0]
    page = book.pages[-1]
    assert "Bản đồ quy hoạch sử dụng đất" in page.extract_text()
    assert [i.data for i in page.images] == [i.data for i in source.images]
    [font] = [f for f in page["/Resources"]["/Font"].values() if f.get_object()["/Subtype"] == "/Type0"]
    [original] = source["/Resources"]["/Font"].values()
    descriptor = "/DescendantFonts", 0, "/FontDescriptor", "/FontFile2"

    def program(f):
        for key in descriptor:
            f = f.get_object()[key]
        return f.get_object().get_data()

    assert program(font) == program(original)


def test_repeat_is_served_from_the_cache_and_a_new_version_rebuilds(cabinet):
    meeting = _book(cabinet)
    member = cabinet.api(cabinet.members[1])
    first = member.get(f"/meetings/{meeting['id']}/book.pdf").data
    started = time.perf_counter()
    again = member.get(f"/meetings/{meeting['id']}/book.pdf").data
    assert again == first
    assert time.perf_counter() - started < 2  # generous: the figure that matters is in bench/
    doc_id = (
        cabinet.api(cabinet.secretariat)
        .get(f"/meetings/{meeting['id']}")
        .get_json()["agenda"][0]["documents"][0]["id"]
    )
    new_version(cabinet.api(cabinet.secretariat), doc_id, make_pdf("Báo cáo bản 2"))
    rebuilt = PdfReader(io.BytesIO(member.get(f"/meetings/{meeting['id']}/book.pdf").data))
    assert len(rebuilt.pages) == 2 + 1 + 1 + 3
    assert "Báo cáo bản 2" in rebuilt.pages[2].extract_text()


def test_book_denials(cabinet):
    meeting = _book(cabinet)
    assert_error(cabinet.api(cabinet.outsider).get(f"/meetings/{meeting['id']}/book.pdf"), 404)
    draft = cabinet.meeting("draft")
    assert_error(cabinet.api(cabinet.members[0]).get(f"/meetings/{draft['id']}/book.pdf"), 404)
    assert_error(cabinet.api(cabinet.clerk).get(f"/meetings/{meeting['id']}/book.pdf"), 403)
