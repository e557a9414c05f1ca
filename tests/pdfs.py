"""PDFs made on the spot for tests: Vietnamese text, encrypted, broken."""

from __future__ import annotations

import io
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
