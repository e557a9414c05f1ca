"""The writer behind the book and the watermark: pages of stored PDFs copied as their bytes."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from ecabinet.documents.assembly import Assembler, Bookmark
from ecabinet.documents.stamping import Stamper
from tests import pdf_views as views
from tests.pdfs import encrypted_pdf, handmade_pdf, make_pdf

pytestmark = pytest.mark.no_database  # runs once, in the SQLite pass (tests/conftest.py)

# Two pages that inherit their box and fonts from the page tree; a link on the first page leads to
# the second and carries a string that looks like a reference; the first page's stream has its
# /Length in another object, the second's has a wrong /Length (as files repaired by hand do).
OBJECTS = {
    1: b"<< /Type /Catalog /Pages 2 0 R >>",
    2: b"<< /Type /Pages /Kids [3 0 R 7 0 R] /Count 2 /MediaBox [0 0 300 200]"
    b" /Resources << /Font << /F1 5 0 R >> >> >>",
    3: b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Annots [6 0 R] >>",
    4: b"<< /Length 8 0 R >>\nstream\nBT /F1 18 Tf 20 100 Td (Trang mot) Tj ET\nendstream",
    5: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    6: b"<< /Type /Annot /Subtype /Link /Rect [0 0 50 50] /Border [0 0 0] /Dest [7 0 R /Fit]"
    b" /Contents (see \\(4 0 R\\) and (nested 7 0 R) endobj stream) >>",
    7: b"<< /Type /Page /Parent 2 0 R /Contents [9 0 R] >>",
    8: b"40",
    9: b"<< /Length 999 >>\nstream\nBT /F1 18 Tf 20 100 Td (Trang hai) Tj ET\nendstream",
}
LINK_TEXT = "see (4 0 R) and (nested 7 0 R) endobj stream"


def _assemble(*sources: bytes, watermark: str | None = None) -> PdfReader:
    out = io.BytesIO()
    pdf = Assembler(out)
    stamper = Stamper(pdf, watermark) if watermark else None
    for source in sources:
        with pdf.source(source) as reader:
            for page in reader.pages if stamper else ():
                stamper.stamp(page)
            pdf.add_pages(reader.pages)
    pdf.finish({}, None)
    return PdfReader(io.BytesIO(out.getvalue()), strict=True)


@pytest.mark.parametrize(
    "source",
    [handmade_pdf(OBJECTS), handmade_pdf(OBJECTS, compressed=frozenset({1, 2, 3, 5, 6, 8}))],
    ids=["cross-reference table", "object stream and cross-reference stream"],
)
def test_pages_are_copied_whole_whatever_the_file_layout(source):
    copy = _assemble(source)
    assert [p.extract_text() for p in copy.pages] == ["Trang mot", "Trang hai"]
    # What the page tree gave the pages comes with them.
    assert [list(map(float, p.mediabox)) for p in copy.pages] == [[0, 0, 300, 200]] * 2
    assert copy.pages[1]["/Resources"]["/Font"]["/F1"]["/BaseFont"] == "/Helvetica"
    link = copy.pages[0]["/Annots"][0].get_object()
    assert link["/Contents"] == LINK_TEXT
    assert link["/Dest"][0].idnum == copy.pages[1].indirect_reference.idnum


def test_a_source_twice_is_two_sets_of_pages_and_links_stay_in_their_own_copy():
    copy = _assemble(handmade_pdf(OBJECTS), handmade_pdf(OBJECTS))
    assert len(copy.pages) == 4
    assert (
        copy.pages[2]["/Annots"][0].get_object()["/Dest"][0].idnum == copy.pages[3].indirect_reference.idnum
    )


def test_stamped_pages_share_one_watermark_and_keep_their_text():
    copy = _assemble(handmade_pdf(OBJECTS), make_pdf("Trang ba"), watermark="Bản của Nguyễn Văn A")
    texts = [p.extract_text() for p in copy.pages]
    assert all("Bản của Nguyễn Văn A" in text for text in texts)
    assert "Trang mot" in texts[0] and "Trang ba" in texts[2]
    assert len({p["/Resources"]["/XObject"].raw_get("/ECWM").idnum for p in copy.pages}) == 1


# Content that leaves something open at its end, as damaged files' pages do (tests/corpus has
# pikepdf's content-stream-errors.pdf): an inline image without its EI, a dictionary, an array and a
# string never closed, a transformation never restored.
LEFT_OPEN = [b"BI /W 1 /H 1 /BPC 8 /CS /G ID x", b"<< /oops", b"[ /oops", b"(oops", b"q 0.1 0 0 0.1 0 0 cm"]


def test_the_stamp_survives_a_page_whose_content_leaves_something_open():
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [%s] /Count %d /MediaBox [0 0 300 200]"
        b" /Resources << /Font << /F1 3 0 R >> >> >>"
        % (b" ".join(b"%d 0 R" % (4 + 2 * i) for i in range(len(LEFT_OPEN))), len(LEFT_OPEN)),
        3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    }
    for index, tail in enumerate(LEFT_OPEN):
        content = b"BT /F1 18 Tf 20 100 Td (Trang %d) Tj ET\n%s\n" % (index + 1, tail)
        objects[4 + 2 * index] = b"<< /Type /Page /Parent 2 0 R /Contents %d 0 R >>" % (5 + 2 * index)
        objects[5 + 2 * index] = b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content)
    out = io.BytesIO()
    pdf = Assembler(out)
    stamper = Stamper(pdf, "Bản của Nguyễn Văn A")
    with pdf.source(handmade_pdf(objects)) as reader:
        for page in reader.pages:
            stamper.stamp(page)
        pdf.add_pages(reader.pages)
    pdf.finish({}, None)
    # As pdfium (a viewer) reads each page: its own text, then the whole stamp.
    assert views.texts(out.getvalue()) == [
        f"Trang {number} Bản của Nguyễn Văn A" for number in range(1, len(LEFT_OPEN) + 1)
    ]


def test_a_filled_in_form_shows_its_values_in_the_copy_which_carries_no_form():
    # reportlab-form.pdf: a text field filled in with "Nguyen" and a ticked box, each with its appearance.
    source = (Path(__file__).resolve().parents[1] / "corpus" / "reportlab-form.pdf").read_bytes()
    copy = _assemble(source, watermark="Bản của Nguyễn Văn A")
    [text] = views.texts(copy.stream.getvalue())
    assert "Nguyen" in text and "Bản của Nguyễn Văn A" in text
    # Drawn into the page, not left as fields that no viewer draws without the catalog's form.
    assert [a.get_object()["/Subtype"] for a in copy.pages[0].get("/Annots", [])] == []


def test_outline_with_vietnamese_titles_points_at_the_pages():
    out = io.BytesIO()
    pdf = Assembler(out)
    with pdf.source(make_pdf("Một", "Hai", "Ba")) as reader:
        first, _, third = pdf.add_pages(reader.pages)
    outline = [Bookmark("Tờ trình", first, [Bookmark("Điều 3", third)]), Bookmark("Không trang", None)]
    pdf.finish({"/Outlines": pdf.add_outline(outline)}, {})
    copy = PdfReader(io.BytesIO(out.getvalue()), strict=True)
    top, children, empty = copy.outline
    assert (top.title, children[0].title, empty.title) == ("Tờ trình", "Điều 3", "Không trang")
    assert copy.get_destination_page_number(top) == 0 and copy.get_destination_page_number(children[0]) == 2


def test_an_encrypted_file_is_refused():
    # Uploads are checked first (tests/documents/test_documents_api.py), so a stored file is never encrypted.
    with pytest.raises(ValueError), Assembler(io.BytesIO()).source(encrypted_pdf()):
        pass
