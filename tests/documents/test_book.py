"""The meeting book: one PDF per member with what they may see, in agenda order."""

from __future__ import annotations

import io
import time

import pikepdf
import pytest
from pypdf import PdfReader

from ecabinet.common.pdfgen import new_document, to_bytes
from tests import pdf_views as views
from tests.helpers import assert_error
from tests.pdfs import CORPUS, make_pdf, new_version, upload

# Its meetings only need to be there: built through the services (the API's own tests use HTTP).
pytestmark = pytest.mark.built_by_services


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
    [font] = [f for f in _fonts(page["/Resources"]) if f.get_object()["/Subtype"] == "/Type0"]
    [original] = source["/Resources"]["/Font"].values()
    descriptor = "/DescendantFonts", 0, "/FontDescriptor", "/FontFile2"

    def program(f):
        for key in descriptor:
            f = f.get_object()[key]
        return f.get_object().get_data()

    assert program(font) == program(original)


def _fonts(resources) -> list:
    """The fonts a page's resources reach, the forms it draws included (the page's own content is one)."""
    fonts = list(resources.get("/Font", {}).values())
    for xobject in resources.get("/XObject", {}).values():
        xobject = xobject.get_object()
        if xobject.get("/Subtype") == "/Form" and "/Resources" in xobject:
            fonts += _fonts(xobject["/Resources"])
    return fonts


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


def test_stamps_sit_upright_at_the_foot_of_the_page_as_shown_whatever_its_rotation_and_boxes(cabinet):
    """Page numbers at the bottom centre and the watermark across the middle of what a viewer shows,
    reading the same way: on turned pages, on boxes away from 0,0, on a crop box, on an inverted box.
    Each is compared with a plain upright page of the size it is shown at."""
    papers = {}
    for name in (
        "rotated-90.pdf",
        "rotated-180.pdf",
        "rotated-270.pdf",
        "origin-negative.pdf",
        "cropbox.pdf",
    ):
        papers[name] = (CORPUS / name).read_bytes()
    for name in ("origin-rotated-90.pdf", "origin-rotated-270.pdf", "inverted-mediabox.pdf"):
        papers[name] = (CORPUS / name).read_bytes()
    shown = {}
    for name, source in papers.items():
        with pikepdf.open(io.BytesIO(source)) as pdf:
            x0, y0, x1, y1 = views.visible(pdf.pages[0])
            turned = int(pdf.pages[0].obj.get("/Rotate", 0)) % 180 == 90
        shown[name] = (y1 - y0, x1 - x0) if turned else (x1 - x0, y1 - y0)
    for size in set(shown.values()):
        papers[size] = make_pdf("Trang thẳng", size=size)
    meeting = cabinet.meeting("published", watermark="all")
    item = cabinet.item(meeting["id"])
    sec, member = cabinet.api(cabinet.secretariat), cabinet.api(cabinet.members[0])
    for name, source in papers.items():
        assert upload(sec, item["id"], source, title=str(name)).status_code == 201
    book = member.get(f"/meetings/{meeting['id']}/book.pdf").data
    first_page = 2  # after the cover and the agenda
    watermarks = {}
    for name, source in papers.items():
        with pikepdf.open(io.BytesIO(source)) as pdf:
            box, pages = views.visible(pdf.pages[0]), len(pdf.pages)
        before, after = views.render(source, box), views.render(book, box, first_page)
        width, height = after.size
        _, number = views.changed(before, after)  # dark grey on white: beyond any watermark
        foot = 30 * views.scale(box)  # the number stands 14 pt above the foot, 9 pt high
        assert number is not None, name
        assert number[1] >= height - foot and number[3] <= height, (name, number, after.size)
        assert abs((number[0] + number[2]) / 2 - width / 2) <= 10 * views.scale(box), (name, number)
        mark, _ = views.changed(before, after, threshold=6)
        watermarks[name] = mark.crop((0, 0, width, int(height - foot)))
        first_page += pages
    for name, size in shown.items():
        assert views.overlap(watermarks[name], watermarks[size]) > 0.8, (name, size)
