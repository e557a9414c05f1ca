"""A form filled in LibreOffice (or Evince, or pypdf) stores its values and asks viewers to draw its
fields anew (/NeedAppearances): the appearances stored with the fields are blank. A member's copy
carries no form, so it must show the values drawn into the page, as a viewer of the original shows
them; the stored original stays as it was uploaded."""

from __future__ import annotations

import io
import unicodedata

import pikepdf
import pytest
from pypdf import PdfReader

from ecabinet.documents import fields
from tests import pdf_views as views
from tests.helpers import ok
from tests.pdfs import CORPUS, handmade_pdf, stored_originals, upload

FILLED_IN = (
    CORPUS / "pypdf-libreoffice-form.pdf"
)  # its fields hold "Alice" and "Bob"; its appearances are blank
VALUES = ("Alice", "Bob")


def _words(data: bytes) -> str:
    return " ".join(views.texts(data))


def _paper(cabinet, watermark: str) -> tuple[dict, dict]:
    meeting = cabinet.meeting("published", watermark=watermark)
    item = cabinet.item(meeting["id"], "Phiếu đăng ký")
    return meeting, ok(upload(cabinet.api(cabinet.secretariat), item["id"], FILLED_IN.read_bytes()), 201)


def _copy_of(cabinet, data: bytes) -> bytes:
    """A member's watermarked copy of the paper."""
    meeting = cabinet.meeting("published", watermark="all")
    item = cabinet.item(meeting["id"], "Phiếu đăng ký")
    document = ok(upload(cabinet.api(cabinet.secretariat), item["id"], data, filename="phieu.pdf"), 201)
    return cabinet.api(cabinet.members[0]).get(f"/documents/{document['id']}/file").data


def test_the_original_shows_no_value_without_a_viewer_that_draws_fields():
    # What the copies must not do: draw the stored (blank) appearances, as pdfium does with the file.
    assert not any(value in _words(views.without_what_acts(FILLED_IN.read_bytes())) for value in VALUES)


def test_a_watermarked_copy_and_the_book_show_the_values_of_a_form_left_to_the_viewer(cabinet):
    meeting, document = _paper(cabinet, "all")
    member = cabinet.api(cabinet.members[0])
    copy = member.get(f"/documents/{document['id']}/file")
    assert copy.status_code == 200 and "Bản của" in _words(copy.data)
    assert all(value in _words(copy.data) for value in VALUES)
    book = member.get(f"/meetings/{meeting['id']}/book.pdf")
    assert all(value in _words(book.data) for value in VALUES)


def test_annotated_pdf_shows_the_values_and_the_original_stays_as_uploaded(app, cabinet):
    _, document = _paper(cabinet, "none")
    member = cabinet.api(cabinet.members[0])
    note = {"version": 1, "page": 1, "kind": "note", "rects": [[72, 72, 90, 90]], "text": "Xem lại"}
    ok(member.post(f"/documents/{document['id']}/annotations", json=note), 201)
    annotated = member.get(f"/documents/{document['id']}/annotated.pdf")
    assert all(value in _words(annotated.data) for value in VALUES)
    # The original goes out as uploaded (nothing in it acts), and stays stored so.
    assert member.get(f"/documents/{document['id']}/file").data == FILLED_IN.read_bytes()
    assert [path.read_bytes() for path in stored_originals(app)] == [FILLED_IN.read_bytes()]


def test_a_form_qpdf_cannot_draw_is_copied_with_its_stored_appearances(cabinet, monkeypatch):
    def refuse(source, out):
        raise fields.CannotDraw("qpdf: damaged object")

    monkeypatch.setattr(fields, "draw", refuse)
    _, document = _paper(cabinet, "all")
    copy = cabinet.api(cabinet.members[0]).get(f"/documents/{document['id']}/file")
    assert copy.status_code == 200
    words = _words(copy.data)
    assert "Bản của" in words and not any(value in words for value in VALUES)


@pytest.mark.no_database
def test_only_a_form_with_fields_that_asks_for_drawing_is_drawn_anew():
    needs = set()
    for path in CORPUS.glob("*.pdf"):
        reader = PdfReader(path)
        if not reader.is_encrypted and fields.need_drawing(reader):
            needs.add(path.name)
    assert needs == {
        "pypdf-FormTestFromOo.pdf",
        "pypdf-form.pdf",
        "pypdf-form_evince.pdf",
        "pypdf-libreoffice-form.pdf",
        "pypdf-pdflatex-forms.pdf",
    }


def _filled_in_vietnamese() -> bytes:
    """The LibreOffice form with a Vietnamese name in its first field, whose stored appearance its
    producer drew (here in plain letters: a font with the glyphs would have to be embedded)."""
    with pikepdf.open(FILLED_IN) as pdf:
        [field] = [f for f in pdf.Root.AcroForm.Fields if str(f.get("/V", "")) == "Alice"]
        field.V = pikepdf.String("Nguyễn Văn Đức")
        field.AP.N.write(b"/Tx BMC q BT /F3 11 Tf 1 5 Td (Nguyen Van Duc) Tj ET Q EMC")
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()


def test_a_value_qpdf_cannot_write_keeps_the_appearance_its_producer_drew(cabinet):
    # qpdf writes a value through the field font's one-byte encoding: "Nguy?n V?n ??c".
    words = _words(_copy_of(cabinet, _filled_in_vietnamese()))
    assert "Nguyen Van Duc" in words and "?" not in words
    assert "Bob" in words  # the other fields are drawn from their values all the same


def _text(value: str) -> bytes:
    """A PDF text string (UTF-16, as any Vietnamese text is stored)."""
    return b"<FEFF" + value.encode("utf-16-be").hex().upper().encode() + b">"


def _filled_in_without_appearances(
    value: str,
    flags: int = 0,
    rect: bytes = b"20 110 280 140",
    entries: bytes = b"/FT /Tx",
    appearance: bytes = b"/Helv 11 Tf 0 g",
) -> bytes:
    """A form filled in by a program that stores values only: its one field (a text field with the
    field flags `flags` at `rect`, unless `entries` say otherwise) holds `value` and has no
    appearance; the form asks viewers to draw it."""
    content = b"BT /F1 12 Tf 20 160 Td (Ho va ten:) Tj ET"
    return handmade_pdf(
        {
            1: b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [5 0 R] /NeedAppearances true"
            b" /DA (/Helv 0 Tf 0 g) /DR << /Font << /Helv 4 0 R >> >> >> >>",
            2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Resources << /Font << /F1 4 0 R >> >>"
            b" /Contents 6 0 R /Annots [5 0 R] >>",
            4: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
            5: b"<< /Type /Annot /Subtype /Widget %s /T (name) /V %s /DA (%s)"
            b" /Rect [%s] /P 3 0 R /Ff %d >>" % (entries, _text(value), appearance, rect, flags),
            6: b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        }
    )


def test_a_choice_shows_the_text_of_the_option_chosen_not_what_it_stores(cabinet):
    options = b"[[(BTP) %s] [(BTC) %s]]" % (_text("Bộ Tư pháp"), _text("Bộ Tài chính"))
    data = _filled_in_without_appearances("BTC", entries=b"/FT /Ch /Ff 131072 /Opt " + options)
    words = unicodedata.normalize("NFC", _words(_copy_of(cabinet, data)))
    assert "Bộ Tài chính" in words and "BTC" not in words and "Bộ Tư pháp" not in words


def test_a_drawn_value_keeps_its_fields_alignment_and_colour(cabinet):
    # Centred (/Q 1), in red (/DA): as the form's producer set it.
    field = (20, 110, 280, 140)
    centred_red = {"entries": b"/FT /Tx /Q 1", "appearance": b"/Helv 11 Tf 1 0 0 rg"}
    drawn = _filled_in_without_appearances("Nguyễn Văn Đức", **centred_red)
    empty = _filled_in_without_appearances("", **centred_red)
    box = (0, 0, 300, 200)
    before, after = views.render(_copy_of(cabinet, empty), box), views.render(_copy_of(cabinet, drawn), box)
    _, ink = views.changed(before, after)
    left, _ = views.to_pixels(box, 0, field[0], field[3])
    right, _ = views.to_pixels(box, 0, field[2], field[1])
    assert ink is not None and abs((ink[0] - left) - (right - ink[2])) <= 3  # as much room either side
    darkest = min(after.crop(ink).get_flattened_data(), key=sum)
    assert darkest[0] > 200 and darkest[1] < 60 and darkest[2] < 60  # red


def test_a_value_in_a_turned_field_is_drawn_turned_within_it(cabinet):
    # A tall, narrow field whose content is turned a quarter (/MK /R 90): the name reads upwards.
    field = (10, 20, 40, 190)
    rect = b"%d %d %d %d" % field
    turned = _filled_in_without_appearances("Nguyễn Văn Đức", rect=rect, entries=b"/FT /Tx /MK << /R 90 >>")
    empty = _filled_in_without_appearances("", rect=rect, entries=b"/FT /Tx /MK << /R 90 >>")
    box = (0, 0, 300, 200)
    _, ink = views.changed(
        views.render(_copy_of(cabinet, empty), box), views.render(_copy_of(cabinet, turned), box)
    )
    left, top = views.to_pixels(box, 0, field[0], field[3])
    right, bottom = views.to_pixels(box, 0, field[2], field[1])
    assert (
        ink is not None
        and left - 1 <= ink[0]
        and ink[2] <= right + 1
        and top - 1 <= ink[1]
        and ink[3] <= bottom + 1
    )
    assert ink[3] - ink[1] > 3 * (ink[2] - ink[0])  # taller than wide: the line runs up the field


def test_a_vietnamese_value_no_appearance_shows_is_drawn_in_the_bundled_font(cabinet):
    words = unicodedata.normalize(
        "NFC", _words(_copy_of(cabinet, _filled_in_without_appearances("Nguyễn Văn Đức")))
    )
    assert "Ho va ten:" in words and "Nguyễn Văn Đức" in words and "?" not in words


def test_a_password_fields_value_is_never_shown(cabinet):
    meeting = cabinet.meeting("published", watermark="all")
    item = cabinet.item(meeting["id"], "Phiếu đăng ký")
    sec, member = cabinet.api(cabinet.secretariat), cabinet.api(cabinet.members[0])
    with pikepdf.open(FILLED_IN) as pdf:  # "Bob"'s field made a password (its stored appearance is blank)
        [field] = [f for f in pdf.Root.AcroForm.Fields if str(f.get("/V", "")) == "Bob"]
        field.Ff = 1 << 13
        out = io.BytesIO()
        pdf.save(out)
    papers = [out.getvalue(), _filled_in_without_appearances("Secret-Pass-42", flags=1 << 13)]
    for data in papers:
        document = ok(upload(sec, item["id"], data, filename="phieu.pdf"), 201)
        words = _words(member.get(f"/documents/{document['id']}/file").data)
        assert "Bản của" in words and "Bob" not in words and "Pass" not in words
    assert "Alice" in _words(member.get(f"/meetings/{meeting['id']}/book.pdf").data)


def _filled_in_with_the_pages_font(as_field: bool = True) -> bytes:
    """A page whose field shows "Ministry of Justice" in Courier through an appearance that names the
    page's font without carrying it (viewers take it from the page, as older producers counted on);
    or, `as_field` False, the same page drawing that text itself where the field shows it."""
    shown = b"BT /F1 12 Tf 2 10 Td (Ministry of Justice) Tj ET"
    content = b"BT /F1 12 Tf 20 160 Td (Page text) Tj ET"
    if not as_field:
        content += b" 1 0 0 1 20 100 cm " + shown
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [5 0 R] >> >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Resources << /Font << /F1 4 0 R >> >>"
        b" /Contents 6 0 R%s >>" % (b" /Annots [5 0 R]" if as_field else b""),
        4: b"<< /Type /Font /Subtype /Type1 /BaseFont /Courier /Encoding /WinAnsiEncoding >>",
        5: b"<< /Type /Annot /Subtype /Widget /FT /Tx /T (name) /V (Ministry of Justice)"
        b" /Rect [20 100 280 130] /P 3 0 R /AP << /N 7 0 R >> >>",
        6: b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        7: b"<< /Type /XObject /Subtype /Form /BBox [0 0 260 30] /Length %d >>\nstream\n%s\nendstream"
        % (len(shown), shown),
    }
    return handmade_pdf(objects)


def test_a_field_whose_appearance_borrows_the_pages_font_is_drawn_in_that_font(cabinet):
    copy = _copy_of(cabinet, _filled_in_with_the_pages_font())
    box = (0, 0, 300, 200)
    # Only the 14 %-opaque watermark may tell the copy from the page that draws the text itself.
    _, moved = views.changed(
        views.render(_filled_in_with_the_pages_font(as_field=False), box), views.render(copy, box)
    )
    assert moved is None
