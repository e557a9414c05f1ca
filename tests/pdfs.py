"""PDFs made on the spot for tests: Vietnamese text, encrypted, broken, written byte by byte."""

from __future__ import annotations

import io
import struct
import zlib
from functools import lru_cache
from pathlib import Path

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
    StreamObject,
    TextStringObject,
)

from ecabinet.common.pdfgen import new_document, to_bytes

# Real-world PDFs from a dozen producers, with their licences (tests/corpus/README.md).
CORPUS = Path(__file__).resolve().parent / "corpus"


def stored_originals(app) -> list[Path]:
    """The files the app keeps as uploaded (its generated copies, in `cache/`, aside)."""
    root = Path(app.config["ECABINET_STORAGE"])
    return [p for p in root.rglob("*") if p.is_file() and "cache" not in p.parts]


@lru_cache(maxsize=128)
def make_pdf(*pages: str, size: tuple[float, float] | None = None) -> bytes:
    pdf = new_document()
    for text in pages or ("Trang một",):
        pdf.add_page(format=size or "A4")
        pdf.set_font("Serif", size=14)
        pdf.multi_cell(0, 20, text)
    return to_bytes(pdf)


Spot = tuple[int, list[float]]  # a line of text: its page (1-based) and its box in PDF points


def laid_out_pdf(*blocks: str | None) -> tuple[bytes, list[list[Spot]]]:
    """A document of paragraphs (None: a page break), left-aligned in 14 pt Serif, and where each
    paragraph's lines went: for every block its lines' pages and boxes, as a tablet's selection of
    those lines would report them."""
    pdf = new_document(fonts=(("Serif", ""),))
    pdf.add_page()
    pdf.set_font("Serif", size=14)
    line_height, where = 20, []
    for block in blocks:
        if block is None:
            pdf.add_page()
            where.append([])
            continue
        spots = []
        for line in pdf.multi_cell(0, line_height, block, dry_run=True, output="LINES"):
            if pdf.get_y() + line_height > pdf.page_break_trigger:
                pdf.add_page()
            top, left = pdf.get_y(), pdf.l_margin + pdf.c_margin
            pdf.cell(0, line_height, line, new_x="LMARGIN", new_y="NEXT")
            box = [
                left - 1,
                pdf.h - top - line_height + 3,
                left + pdf.get_string_width(line) + 1,
                pdf.h - top - 3,
            ]
            spots.append((pdf.page, box))
        pdf.ln(line_height / 2)
        where.append(spots)
    return to_bytes(pdf), where


def encrypted_pdf() -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf("Mật"))))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def broken_pdf() -> bytes:
    good = make_pdf("Hỏng")
    return good[:20] + b"\x00garbage\xff" * 50


def handmade_pdf(objects: dict[int, bytes], compressed: frozenset[int] = frozenset()) -> bytes:
    """A PDF written byte by byte from its objects' text (object 1 the catalog). The objects in
    `compressed` go into an object stream, and then the cross-reference table is a stream too, as
    in the files many office suites write."""
    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for number, text in objects.items():
        if number not in compressed:
            offsets[number] = len(out)
            out += b"%d 0 obj\n%s\nendobj\n" % (number, text)
    size = max(objects) + 1
    if not compressed:
        xref = len(out)
        out += b"xref\n0 %d\n0000000000 65535 f \n" % size
        for number in range(1, size):
            out += b"%010d 00000 n \n" % offsets[number] if number in offsets else b"0000000000 65535 f \n"
        out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref)
        return bytes(out)
    members = sorted(compressed)
    index, body = [], b""
    for number in members:
        index.append(b"%d %d" % (number, len(body)))
        body += objects[number] + b"\n"
    head = b" ".join(index) + b"\n"
    data = zlib.compress(head + body)
    stream_number, xref_number = size, size + 1
    offsets[stream_number] = len(out)
    out += b"%d 0 obj\n<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>\nstream\n" % (
        stream_number,
        len(members),
        len(head),
        len(data),
    )
    out += data + b"\nendstream\nendobj\n"
    offsets[xref_number] = len(out)
    rows = b"".join(
        struct.pack(">BIH", 2, stream_number, members.index(n))
        if n in compressed
        else struct.pack(">BIH", 1, offsets[n], 0)
        if n in offsets
        else struct.pack(">BIH", 0, 0, 65535)
        for n in range(xref_number + 1)
    )
    out += b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n" % (
        xref_number,
        xref_number + 1,
        len(rows),
    )
    out += rows + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % offsets[xref_number]
    return bytes(out)


def many_pages_pdf(pages: int, declared: int | None = None) -> bytes:
    """A PDF of `pages` pages whose page tree says it holds `declared` (by default, as many): each page a
    few bytes that share one content stream, so that 100,000 pages make about 10 MB."""
    content = b"BT /F1 24 Tf 72 720 Td (Trang nao) Tj ET"
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Count %d /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >>"
        b" /Kids [%s] >>"
        % (pages if declared is None else declared, b" ".join(b"%d 0 R" % (5 + n) for n in range(pages))),
        3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        4: b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
    }
    page = b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>"
    objects.update((5 + n, page) for n in range(pages))
    return handmade_pdf(objects)


BOUNDARY = "ecabinet-test-boundary-7d41"


def multipart(data: bytes, filename: str = "to-trinh.pdf", **fields: str) -> dict:
    """A multipart body built in memory, as a browser sends it (the test client's own encoder
    spills large files to a temporary file it never closes)."""
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/pdf\r\n\r\n".encode()
        + data
        + b"\r\n"
    )
    parts.append(f"--{BOUNDARY}--\r\n".encode())
    return {"data": b"".join(parts), "content_type": f"multipart/form-data; boundary={BOUNDARY}"}


def upload(api, item_id: int, data: bytes, filename: str = "to-trinh.pdf", title: str | None = None):
    fields = {"title": title} if title is not None else {}
    return api.post(f"/agenda/{item_id}/documents", **multipart(data, filename, **fields))


def new_version(api, document_id: int, data: bytes, filename: str = "ban-moi.pdf"):
    return api.post(f"/documents/{document_id}/versions", **multipart(data, filename))


# What a hostile paper carries, each marked so that a copy can be searched for it.
HOSTILE_MARKERS = (
    b"calc.exe",
    b"ecabinet-js-marker",
    b"ecabinet-embedded-marker",
    b"ecabinet-open-marker",
    b"javascript:",
)


def hostile_pdf() -> bytes:
    """Two pages that try everything a viewer might run: document JavaScript, an open action, a Launch
    of calc.exe, an embedded file, a file-attachment annotation, triggered actions on the catalog, the
    page and a form field, an outline entry that runs a script, a javascript: link, a safe link
    followed by a script and one whose former action (/PA) is a script. Beside them what a reader
    needs: a web link, a link to page 2, an outline."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf("Trang một", "Trang hai"))))
    writer.add_attachment("ecabinet-attached.exe", b"MZ ecabinet-embedded-marker")
    script = writer._add_object(
        DictionaryObject(
            {
                NameObject("/S"): NameObject("/JavaScript"),
                NameObject("/JS"): TextStringObject("app.launchURL('ecabinet-open-marker')"),
            }
        )
    )
    launch = writer._add_object(
        DictionaryObject(
            {NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("calc.exe")}
        )
    )
    root = writer.root_object
    document_script = writer._add_object(
        DictionaryObject(
            {
                NameObject("/S"): NameObject("/JavaScript"),
                NameObject("/JS"): TextStringObject("app.alert('ecabinet-js-marker');"),
            }
        )
    )
    names = root["/Names"]
    names[NameObject("/JavaScript")] = DictionaryObject(
        {NameObject("/Names"): ArrayObject([TextStringObject("doc"), document_script])}
    )
    root[NameObject("/OpenAction")] = script
    root[NameObject("/AA")] = DictionaryObject({NameObject("/WC"): script})
    first, second = writer.pages
    first[NameObject("/AA")] = DictionaryObject({NameObject("/O"): launch})

    def link(action, subtype="/Link", **extra):
        entries = {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject(subtype),
            NameObject("/Rect"): ArrayObject([FloatObject(v) for v in (50, 50, 150, 80)]),
            **{NameObject(f"/{k}"): v for k, v in extra.items()},
        }
        if action is not None:
            entries[NameObject("/A")] = action
        return writer._add_object(DictionaryObject(entries))

    def uri(address: str):
        return DictionaryObject(
            {NameObject("/S"): NameObject("/URI"), NameObject("/URI"): TextStringObject(address)}
        )

    go_to = DictionaryObject(
        {
            NameObject("/S"): NameObject("/GoTo"),
            NameObject("/D"): ArrayObject([second.indirect_reference, NameObject("/Fit")]),
            NameObject("/Next"): script,
        }
    )
    field = writer._add_object(
        DictionaryObject(
            {
                NameObject("/FT"): NameObject("/Tx"),
                NameObject("/AA"): DictionaryObject({NameObject("/K"): script}),
            }
        )
    )
    first[NameObject("/Annots")] = ArrayObject(
        [
            link(launch),
            link(uri("https://chinhphu.vn/"), PA=script),
            link(uri("javascript:alert(1)")),
            link(go_to),
            link(None, "/FileAttachment", FS=TextStringObject("ecabinet-attached.exe")),
            link(None, "/Widget", Parent=field, AA=DictionaryObject({NameObject("/Fo"): script})),
        ]
    )
    entry = writer.add_outline_item(title="Mục lục", page_number=1)
    entry.get_object()[NameObject("/A")] = script
    writer.add_outline_item(title="Trang hai", page_number=1)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


ACTIVE_KEYS = ("/JS", "/JavaScript", "/OpenAction", "/AA", "/EmbeddedFiles", "/EmbeddedFile", "/XFA")
ACTIVE_VALUES = {"/JavaScript", "/Launch", "/EmbeddedFile", "/FileAttachment", "/SubmitForm", "/ImportData"}


def active_content(data: bytes) -> set[str]:
    """Everything in a PDF that acts (keys, action types, embedded files) and the hostile markers in
    its strings and streams, found in every object the file holds, referenced or not."""
    reader = PdfReader(io.BytesIO(data))
    found: set[str] = set()

    def walk(obj) -> None:
        if isinstance(obj, str | bytes):
            text = obj.encode("utf-8", "replace") if isinstance(obj, str) else bytes(obj)
            found.update(marker.decode() for marker in HOSTILE_MARKERS if marker in text)
        if isinstance(obj, StreamObject):
            walk(obj.get_data())
        if isinstance(obj, DictionaryObject):
            found.update(key for key in ACTIVE_KEYS if key in obj)
            found.update(str(v) for v in obj.values() if isinstance(v, NameObject) and v in ACTIVE_VALUES)
            for value in obj.values():
                walk(value)
        elif isinstance(obj, ArrayObject):
            for value in obj:
                walk(value)

    # The objects the cross-reference marks in use, in the file's body or in object streams: walking
    # exactly those (no error swallowed) means an unreadable object fails the test instead of hiding.
    in_use = {(number, generation) for generation, numbers in reader.xref.items() for number in numbers}
    in_use |= {(number, 0) for number in reader.xref_objStm}
    assert in_use, "the scan found no objects to look at"
    for number, generation in sorted(in_use):
        walk(IndirectObject(number, generation, reader).get_object())
    return found
