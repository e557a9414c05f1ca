"""Stamping many pages cheaply: one shared Form XObject, referenced from every page.

Merging an overlay page into each page copies its content and resources a thousand times; here the
overlay is added to the file once, and each page gets only a few bytes: `q … cm /ECWM Do Q`.
"""

from __future__ import annotations

import io
from functools import lru_cache

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    RectangleObject,
)

from ecabinet.common.pdfgen import new_document, to_bytes

OVERLAY_SIZE = 600.0  # the overlay is drawn on a square and scaled to each page


@lru_cache(maxsize=256)
def _overlay_pdf(text: str) -> bytes:
    pdf = new_document(fonts=(("Sans", "B"),))  # one font to read, not five: this runs per reader
    pdf.add_page(format=(OVERLAY_SIZE, OVERLAY_SIZE))
    pdf.set_font("Sans", "B", 26)
    width = pdf.get_string_width(text)
    centre = OVERLAY_SIZE / 2
    with pdf.local_context(fill_opacity=0.14, text_color=(120, 20, 20)), pdf.rotation(40, centre, centre):
        pdf.text(centre - width / 2, centre + 9, text)
    return to_bytes(pdf)


def _stream(writer: PdfWriter, data: bytes) -> IndirectObject:
    stream = DecodedStreamObject()
    stream.set_data(data)
    return writer._add_object(stream)


class Stamper:
    """Adds one watermark and/or page numbers to pages of a writer, sharing every object it can."""

    def __init__(self, writer: PdfWriter, watermark: str | None, number_pages: bool = False):
        self.writer = writer
        self.form = self._form(watermark) if watermark else None
        self.number_pages = number_pages
        self.font = self._helvetica() if number_pages else None
        self.open = _stream(writer, b"q\n")
        self.close = _stream(writer, b"Q\n")
        self._placements: dict[tuple, IndirectObject] = {}

    def _form(self, text: str) -> IndirectObject:
        page = PdfReader(io.BytesIO(_overlay_pdf(text))).pages[0]
        form = DecodedStreamObject()
        form.set_data(page.get_contents().get_data())
        form[NameObject("/Type")] = NameObject("/XObject")
        form[NameObject("/Subtype")] = NameObject("/Form")
        form[NameObject("/BBox")] = RectangleObject([0, 0, OVERLAY_SIZE, OVERLAY_SIZE])
        form[NameObject("/Resources")] = page["/Resources"].clone(self.writer)
        return self.writer._add_object(form)

    def _helvetica(self) -> IndirectObject:
        font = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Helvetica"),
                NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
            }
        )
        return self.writer._add_object(font)

    def _watermark_placement(self, box: RectangleObject) -> IndirectObject:
        x0, y0, width, height = float(box.left), float(box.bottom), float(box.width), float(box.height)
        key = ("wm", round(x0, 2), round(y0, 2), round(width, 2), round(height, 2))
        if key not in self._placements:
            scale = min(width, height) / OVERLAY_SIZE
            dx = x0 + (width - OVERLAY_SIZE * scale) / 2
            dy = y0 + (height - OVERLAY_SIZE * scale) / 2
            self._placements[key] = _stream(
                self.writer, f"q {scale:.4f} 0 0 {scale:.4f} {dx:.2f} {dy:.2f} cm /ECWM Do Q\n".encode()
            )
        return self._placements[key]

    def stamp(self, page, label: str | None = None) -> None:
        parts = ArrayObject([self.open])
        if "/Contents" in page:
            raw = page.raw_get("/Contents")
            resolved = raw.get_object()
            parts.extend(resolved) if isinstance(resolved, ArrayObject) else parts.append(raw)
        parts.append(self.close)
        box = page.mediabox
        if self.form is not None:
            self._resource(page, "/XObject")[NameObject("/ECWM")] = self.form
            parts.append(self._watermark_placement(box))
        if label is not None and self.font is not None:
            self._resource(page, "/Font")[NameObject("/ECPN")] = self.font
            x = float(box.left) + float(box.width) / 2 - len(label) * 2.5
            y = float(box.bottom) + 14
            text = label.encode("latin-1").replace(b"(", b"\\(").replace(b")", b"\\)")
            parts.append(
                _stream(
                    self.writer,
                    b"q BT /ECPN 9 Tf 0.35 g "
                    + f"{x:.2f} {y:.2f}".encode()
                    + b" Td ("
                    + text
                    + b") Tj ET Q\n",
                )
            )
        page[NameObject("/Contents")] = parts

    @staticmethod
    def _resource(page, kind: str) -> DictionaryObject:
        """The page's /Font or /XObject dictionary, made if missing; shared dictionaries stay shared
        (the names added are ours alone, so every page that shares them may carry them)."""
        if "/Resources" not in page:
            page[NameObject("/Resources")] = DictionaryObject()
        resources = page["/Resources"]
        if kind not in resources:
            resources[NameObject(kind)] = DictionaryObject()
        return resources[kind]
