"""What members download carries nothing that acts (scripts, Launch, embedded files, open actions), and
the PDFs the server takes in are bounded: pages, and streams that inflate without end."""

from __future__ import annotations

import io
import zlib

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, FloatObject, NameObject, TextStringObject

from tests.helpers import assert_error, ok
from tests.pdfs import (
    active_content,
    handmade_pdf,
    hostile_pdf,
    make_pdf,
    many_pages_pdf,
    stored_originals,
    upload,
)

# Its meetings only need to be there: built through the services (the API's own tests use HTTP).
pytestmark = pytest.mark.built_by_services


def _paper(cabinet, watermark: str) -> tuple[dict, dict, bytes]:
    meeting = cabinet.meeting("published", watermark=watermark)
    item = cabinet.item(meeting["id"])
    data = hostile_pdf()
    document = ok(upload(cabinet.api(cabinet.secretariat), item["id"], data), 201)
    return meeting, document, data


def _links(pdf: PdfReader) -> list:
    """What each link annotation on page 1 does: a web address, a page, or nothing."""
    found = []
    for annotation in pdf.pages[0].get("/Annots", []):
        action = annotation.get_object().get("/A")
        action = action.get_object() if action is not None else None
        found.append(None if action is None else action.get("/URI") or action["/S"])
    return found


def test_a_watermarked_copy_carries_nothing_that_acts(app, cabinet):
    meeting, document, data = _paper(cabinet, watermark="all")
    copy = cabinet.api(cabinet.members[0]).get(f"/documents/{document['id']}/file").data
    assert active_content(copy) == set()
    pdf = PdfReader(io.BytesIO(copy))
    assert len(pdf.pages) == 2
    # What a reader needs stays: the web link and the link to page 2 (without what followed it), the
    # outline; the Launch, the javascript: link and the attached file are gone.
    # (The Launch and javascript: links stay as inert rectangles; the form field leaves the
    # annotations with its form, what it shows drawn into the page: here nothing, it has no appearance.)
    assert _links(pdf) == [None, "https://chinhphu.vn/", None, "/GoTo"]
    assert [entry.title for entry in pdf.outline] == ["Mục lục", "Trang hai"]
    # The original is kept byte for byte, for the record.
    assert [p.read_bytes() for p in stored_originals(app)] == [data]
    assert active_content(data)


def test_the_meeting_book_carries_nothing_that_acts(cabinet):
    meeting, _document, _data = _paper(cabinet, watermark="confidential")
    book = cabinet.api(cabinet.members[0]).get(f"/meetings/{meeting['id']}/book.pdf")
    assert book.status_code == 200
    assert active_content(book.data) == set()
    assert len(PdfReader(io.BytesIO(book.data)).pages) == 2 + 2  # cover and agenda, the paper


def test_without_a_watermark_a_paper_that_acts_is_downloaded_without_what_acts(app, cabinet):
    """Where members download the original itself, a hostile one goes out as a safe copy, and so does
    the annotated copy made from it."""
    _meeting, document, data = _paper(cabinet, watermark="none")
    member = cabinet.api(cabinet.members[0])
    for _ in range(2):  # decided once, the same answer after
        plain = member.get(f"/documents/{document['id']}/file").data
        assert active_content(plain) == set()
        assert len(PdfReader(io.BytesIO(plain)).pages) == 2
    assert [p.read_bytes() for p in stored_originals(app)] == [data]
    note = {"version": 1, "page": 2, "kind": "note", "rects": [[40, 40, 60, 60]], "text": "Xem lại"}
    ok(member.post(f"/documents/{document['id']}/annotations", json=note), 201)
    copy = member.get(f"/documents/{document['id']}/annotated.pdf").data
    assert active_content(copy) == set()
    notes = [a.get_object() for a in PdfReader(io.BytesIO(copy)).pages[1].get("/Annots", [])]
    assert [n["/Contents"] for n in notes if n["/Subtype"] == "/Text"] == ["Xem lại"]


def test_without_a_watermark_a_paper_with_nothing_that_acts_is_downloaded_as_uploaded(cabinet):
    meeting = cabinet.meeting("published", watermark="none")
    item = cabinet.item(meeting["id"])
    data = make_pdf("Tờ trình", "Trang hai")
    document = ok(upload(cabinet.api(cabinet.secretariat), item["id"], data), 201)
    for _ in range(2):
        assert cabinet.api(cabinet.members[0]).get(f"/documents/{document['id']}/file").data == data


def test_a_pdf_over_the_page_limit_is_413_and_nothing_is_kept(app, cabinet):
    meeting = cabinet.meeting("published")
    item = cabinet.item(meeting["id"])
    sec = cabinet.api(cabinet.secretariat)
    app.config["ECABINET_MAX_PAGES"] = 20
    assert_error(upload(sec, item["id"], many_pages_pdf(21)), 413, "too_many_pages")
    assert stored_originals(app) == []
    assert ok(upload(sec, item["id"], many_pages_pdf(20)), 201)["version"]["page_count"] == 20


def test_a_page_tree_that_understates_its_pages_is_counted_all_the_same(app, cabinet):
    meeting = cabinet.meeting("published")
    item = cabinet.item(meeting["id"])
    app.config["ECABINET_MAX_PAGES"] = 20
    lying = many_pages_pdf(30, declared=3)
    assert_error(upload(cabinet.api(cabinet.secretariat), item["id"], lying), 413, "too_many_pages")
    assert stored_originals(app) == []


@pytest.mark.parametrize("inflated_mb", [100])
def test_a_deflate_bomb_is_415_and_nothing_is_kept(app, cabinet, inflated_mb):
    """A few hundred kilobytes that inflate to 100 MB of page content (pypdf stops at 75 MB): once a 500."""
    bomb = zlib.compress(b" " * (inflated_mb * 1024 * 1024), 9)
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        4: b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(bomb), bomb),
    }
    meeting = cabinet.meeting("published")
    item = cabinet.item(meeting["id"])
    response = upload(cabinet.api(cabinet.secretariat), item["id"], handmade_pdf(objects))
    assert_error(response, 415, "pdf_bomb")
    assert stored_originals(app) == []
    assert ok(upload(cabinet.api(cabinet.secretariat), item["id"], make_pdf("Tờ trình")), 201)


def _bomb(inflated_mb: int) -> bytes:
    compressed = zlib.compress(b" " * (inflated_mb * 1024 * 1024), 9)
    return b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(compressed), compressed)


@pytest.mark.parametrize("where", ["the last page's content", "a form the page draws"])
def test_a_deflate_bomb_anywhere_a_page_draws_is_415_and_nothing_is_kept(app, cabinet, where):
    """Only the first page's content was inflated: a bomb on the second page, or in a form XObject,
    was accepted and reached every member's copy and book as it was."""
    blank = b"<< /Length 0 >>\nstream\n\nendstream"
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 5 0 R >>",
        5: blank,
    }
    if where == "a form the page draws":
        objects[4] = (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 6 0 R"
            b" /Resources << /XObject << /X 7 0 R >> >> >>"
        )
        objects[6] = b"<< /Length 7 >>\nstream\n/X Do  \nendstream"
        objects[7] = _bomb(100).replace(
            b"<< /Length", b"<< /Type /XObject /Subtype /Form /BBox [0 0 9 9] /Length"
        )
    else:
        objects[4] = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 6 0 R >>"
        objects[6] = _bomb(100)
    meeting = cabinet.meeting("published")
    item = cabinet.item(meeting["id"])
    response = upload(cabinet.api(cabinet.secretariat), item["id"], handmade_pdf(objects))
    assert_error(response, 415, "pdf_bomb")
    assert stored_originals(app) == []


def _hidden_script(where: str) -> bytes:
    """A plain two-page paper with one script where the cleaning did not look (each once reached the
    member's copy, or let the original itself go out as uploaded)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf("Trang một", "Trang hai"))))
    script = writer._add_object(
        DictionaryObject(
            {
                NameObject("/S"): NameObject("/JavaScript"),
                NameObject("/JS"): TextStringObject("app.alert('ecabinet-js-marker')"),
            }
        )
    )
    first = writer.pages[0]

    def note(**entries):
        note = {NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/Text")}
        note[NameObject("/Rect")] = ArrayObject([FloatObject(v) for v in (10, 10, 50, 50)])
        return writer._add_object(
            DictionaryObject({**note, **{NameObject(k): v for k, v in entries.items()}})
        )

    if where == "the page tree":
        writer.root_object["/Pages"].get_object()[NameObject("/AA")] = DictionaryObject(
            {NameObject("/O"): script}
        )
    elif where == "a note's pop-up":
        popup = note(
            **{"/Subtype": NameObject("/Popup"), "/AA": DictionaryObject({NameObject("/O"): script})}
        )
        first[NameObject("/Annots")] = ArrayObject([note(**{"/Popup": popup})])
    elif where == "the note a note answers":
        first[NameObject("/Annots")] = ArrayObject([note(**{"/IRT": note(**{"/A": script})})])
    elif where == "a link's destination":
        first[NameObject("/Annots")] = ArrayObject(
            [note(**{"/Subtype": NameObject("/Link"), "/Dest": script})]
        )
    elif where == "the destination it opens at":
        writer.root_object[NameObject("/OpenAction")] = ArrayObject([script, NameObject("/Fit")])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize(
    "where",
    [
        "the page tree",
        "a note's pop-up",
        "the note a note answers",
        "a link's destination",
        "the destination it opens at",
    ],
)
def test_a_script_hidden_anywhere_reaches_no_member(app, cabinet, where):
    meeting = cabinet.meeting("published", watermark="none")
    item = cabinet.item(meeting["id"])
    data = _hidden_script(where)
    assert "ecabinet-js-marker" in active_content(data)
    document = ok(upload(cabinet.api(cabinet.secretariat), item["id"], data), 201)
    member = cabinet.api(cabinet.members[0])
    note = {"version": 1, "page": 1, "kind": "note", "rects": [[100, 100, 120, 120]], "text": "Xem lại"}
    ok(member.post(f"/documents/{document['id']}/annotations", json=note), 201)
    for path in (
        f"/documents/{document['id']}/file",
        f"/documents/{document['id']}/annotated.pdf",
        f"/meetings/{meeting['id']}/book.pdf",
    ):
        copy = member.get(path)
        assert copy.status_code == 200, path
        assert active_content(copy.data) - {"/OpenAction"} == set(), path
    assert [p.read_bytes() for p in stored_originals(app)] == [data]
