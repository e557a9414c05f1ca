"""Stamping many pages cheaply: one shared Form XObject, referenced from every page.

Merging an overlay page into each page copies its content and resources a thousand times; here the
overlay is added to the file once, and each page gets only a few bytes: `q … cm /ECWM Do Q`. The
page's own content is drawn first, as a form of its own (`/ECPG Do`), so that nothing it leaves open
can swallow the stamp.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from pypdf import PageObject
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    RectangleObject,
)

from ecabinet.common.pdfgen import new_document, to_bytes
from ecabinet.documents.assembly import Assembler
from ecabinet.documents.pdf import LETTER, media_box, visible_box

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


@dataclass(frozen=True)
class View:
    """A page as a viewer shows it: its visible box (the crop box, which defaults to the media box;
    either may have its corners in any order and any origin), turned clockwise by /Rotate.

    `matrix` maps the shown page's space (origin at its bottom left as seen, width × height as seen)
    to the page's user space: what is drawn through it sits upright and in the visible area, however
    the page is turned or wherever its boxes start."""

    width: float
    height: float
    matrix: str

    @classmethod
    def of(cls, page: PageObject, media: tuple[float, float, float, float]) -> View:
        """The page whose media box is `media` (normalised), as shown."""
        rotation = page.rotation
        turn = rotation % 360 if rotation % 90 == 0 else 0  # viewers ignore other angles
        return _view(visible_box(page, media), turn)


@lru_cache(maxsize=64)  # a book's pages come in a few sizes and turns
def _view(box: tuple[float, float, float, float], turn: int) -> View:
    x0, y0, x1, y1 = box
    width, height = x1 - x0, y1 - y0
    matrix = {
        0: (1, 0, 0, 1, x0, y0),
        90: (0, 1, -1, 0, x1, y0),
        180: (-1, 0, 0, -1, x1, y1),
        270: (0, -1, 1, 0, x0, y1),
    }[turn]
    if turn in (90, 270):
        width, height = height, width
    return View(
        round(width, 2), round(height, 2), " ".join(f"{v:.2f}".rstrip("0").rstrip(".") for v in matrix)
    )


class Stamper:
    """Adds one watermark and/or page numbers to pages of an assembled PDF, sharing every object it can."""

    def __init__(self, pdf: Assembler, watermark: str | None, number_pages: bool = False):
        self.pdf = pdf
        self.form = self._form(watermark) if watermark else None
        self.font = self._helvetica() if number_pages else None
        self.draw_content = pdf.add_stream(b"q /ECPG Do Q\n")
        self._placements: dict[tuple, IndirectObject] = {}
        self._numbered: list[tuple[int, View]] = []  # the number's object, the page as shown

    def _form(self, text: str) -> IndirectObject:
        return self.pdf.add_form(_overlay_pdf(text), OVERLAY_SIZE, OVERLAY_SIZE)

    def _helvetica(self) -> IndirectObject:
        font = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Helvetica"),
                NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
            }
        )
        return self.pdf.add(font)

    def _watermark_placement(self, view: View) -> IndirectObject:
        key = ("wm", view)
        if key not in self._placements:
            scale = min(view.width, view.height) / OVERLAY_SIZE
            dx = (view.width - OVERLAY_SIZE * scale) / 2
            dy = (view.height - OVERLAY_SIZE * scale) / 2
            self._placements[key] = self.pdf.add_stream(
                f"q {view.matrix} cm {scale:.4f} 0 0 {scale:.4f} {dx:.2f} {dy:.2f} cm /ECWM Do Q\n".encode()
            )
        return self._placements[key]

    def stamp(self, page, watermark: bool = True) -> None:
        """Stamp a page before it is added: the watermark (unless `watermark` is False) and, if the
        stamper numbers pages, a place for its number, written by `write_page_numbers`.

        The page's own content becomes a Form XObject (`Assembler.page_form`) that the page draws
        first, then the stamps: whatever the content leaves open ends with it. The page's resources
        go with that form; the page keeps only the names of what it now draws (so a resource
        dictionary shared between pages is never amended)."""
        media = media_box(page)
        if media is LETTER:
            # The copy says what the source left to the viewer: the default page size.
            page[NameObject("/MediaBox")] = RectangleObject(LETTER)
        watermark = watermark and self.form is not None
        if not (watermark or self.font is not None):
            return  # nothing to draw over the page: it stays as it is
        view = View.of(page, media)
        parts, xobjects, fonts = ArrayObject(), DictionaryObject(), DictionaryObject()
        content = self.pdf.page_form(page, media)
        if content is not None:
            xobjects[NameObject("/ECPG")] = content
            parts.append(self.draw_content)
        if watermark:
            xobjects[NameObject("/ECWM")] = self.form
            parts.append(self._watermark_placement(view))
        if self.font is not None:
            fonts[NameObject("/ECPN")] = self.font
            number = self.pdf.reserve()
            parts.append(number)
            self._numbered.append((number.idnum, view))
        resources = DictionaryObject()
        if xobjects:
            resources[NameObject("/XObject")] = xobjects
        if fonts:
            resources[NameObject("/Font")] = fonts
        page[NameObject("/Resources")] = resources
        page[NameObject("/Contents")] = parts

    def write_page_numbers(self) -> None:
        """Write "n / N" on each numbered page, in the order they were stamped. N is known only
        once every page is in, so the pages go first (and their files are closed) and this last."""
        total = len(self._numbered)
        for index, (number, view) in enumerate(self._numbered, start=1):
            label = f"{index} / {total}"
            x = view.width / 2 - len(label) * 2.5
            self.pdf.write_stream(
                IndirectObject(number, 0, self.pdf),
                f"q {view.matrix} cm BT /ECPN 9 Tf 0.35 g {x:.2f} 14 Td ({label}) Tj ET Q\n".encode(),
            )
