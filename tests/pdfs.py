"""PDFs made on the spot for tests: Vietnamese text, encrypted, broken, written byte by byte."""

from __future__ import annotations

import io
import struct
import zlib
from functools import lru_cache

from pypdf import PdfReader, PdfWriter

from ecabinet.common.pdfgen import new_document, to_bytes


@lru_cache(maxsize=128)
def make_pdf(*pages: str, size: tuple[float, float] | None = None) -> bytes:
    pdf = new_document()
    for text in pages or ("Trang một",):
        pdf.add_page(format=size or "A4")
        pdf.set_font("Serif", size=14)
        pdf.multi_cell(0, 20, text)
    return to_bytes(pdf)


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
