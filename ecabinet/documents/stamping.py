"""Stamping many pages cheaply: one shared Form XObject, referenced from every page.

Merging an overlay page into each page copies its content and resources a thousand times; here the
overlay is added to the file once, and each page gets only a few bytes: `q … cm /ECWM Do Q`. The
page's own content is drawn first, as a form of its own (`/ECPG Do`), so that nothing it leaves open
can swallow the stamp.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache

from pypdf import PageObject
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    RectangleObject,
    StreamObject,
)

from ecabinet.common.pdfgen import new_document, to_bytes
from ecabinet.documents.assembly import Assembler
from ecabinet.documents.fields import MULTILINE, PASSWORD, inherited
from ecabinet.documents.pdf import LETTER, media_box, normal_box, visible_box

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

    @cached_property
    def draw_content(self) -> IndirectObject:
        """The few bytes every stamped page draws its own content with; written at the first page that
        needs it, so that a file whose pages all stay as they are (annotated.pdf of a paper without
        fields) carries no stream nothing refers to."""
        return self.pdf.add_stream(b"q /ECPG Do Q\n")

    def stamp(self, page, watermark: bool = True) -> None:
        """Stamp a page before it is added: its form fields' appearances drawn into it, the
        watermark (unless `watermark` is False) and, if the stamper numbers pages, a place for its
        number, written by `write_page_numbers`.

        The page's own content becomes a Form XObject (`Assembler.page_form`) that the page draws
        first, then the stamps: whatever the content leaves open ends with it. The page's resources
        go with that form; the page keeps only the names of what it now draws (so a resource
        dictionary shared between pages is never amended)."""
        media = media_box(page)
        if media is LETTER:
            # The copy says what the source left to the viewer: the default page size.
            page[NameObject("/MediaBox")] = RectangleObject(LETTER)
        widgets = _flatten_widgets(page)
        watermark = watermark and self.form is not None
        if not (widgets or watermark or self.font is not None):
            return  # nothing to draw over the page: it stays as it is
        view = View.of(page, media)
        parts, xobjects, fonts = ArrayObject(), DictionaryObject(), DictionaryObject()
        content = self.pdf.page_form(page, media)
        if content is not None:
            xobjects[NameObject("/ECPG")] = content
            parts.append(self.draw_content)
        if widgets:
            values = tuple(a for a, _ in widgets if isinstance(a, FieldValue))
            drawn_values = iter(
                self.pdf.add_forms(_values_pdf(values), [(v.width, v.height) for v in values])
                if values
                else ()
            )
            drawing = []
            for index, (appearance, matrix) in enumerate(widgets):
                if isinstance(appearance, FieldValue):
                    appearance = next(drawn_values)
                xobjects[NameObject(f"/ECF{index}")] = appearance
                drawing.append(f"q {matrix} cm /ECF{index} Do Q\n")
            parts.append(self.pdf.add_stream("".join(drawing).encode()))
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


# Annotation flags (PDF 32000-1, 12.5.3): a widget so marked is not shown.
_HIDDEN, _NO_VIEW = 2, 32
_FONT_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s+Tf")
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)"
_COLOR = re.compile(rf"((?:{_NUMBER}\s+){{2}}{_NUMBER}|{_NUMBER})\s+(?:rg|g)(?![\w])")


@dataclass(frozen=True)
class FieldValue:
    """A text or choice field's value that no appearance shows, drawn in the bundled Unicode font
    (documents.fields leaves such a field so where qpdf could only write it with "?")."""

    text: str
    width: float
    height: float
    size: float  # the field's font size; 0: as large as fits
    multiline: bool
    align: int = 0  # /Q: 0 left, 1 centred, 2 right
    color: tuple[int, int, int] = (0, 0, 0)  # from /DA, 0–255


@lru_cache(maxsize=64)
def _values_pdf(values: tuple[FieldValue, ...]) -> bytes:
    """A page's values, each on a page the size of its field: a line centred on the height (shrunk
    to fit the width), or lines from the top; inset by 2 points, as viewers draw a field. One
    document for them all: reading the font is most of the cost (35 ms; a value, 0.2 ms)."""
    pdf = new_document(fonts=(("Sans", ""),))
    pdf.set_margins(2, 2, 2)
    pdf.set_auto_page_break(False)
    for value in values:
        pdf.add_page(format=(value.width, value.height))
        pdf.set_text_color(*value.color)
        size = value.size or min(12.0, value.height * 0.7)
        pdf.set_font("Sans", "", size)
        if value.multiline:
            pdf.set_xy(2, 2)
            pdf.multi_cell(value.width - 4, size * 1.15, value.text, align="LCR"[value.align])
            continue
        line = " ".join(value.text.split())
        width = pdf.get_string_width(line)
        if width > value.width - 4 > 0:
            size = size * (value.width - 4) / width
            pdf.set_font("Sans", "", size)
            width = value.width - 4
        x = (2, (value.width - width) / 2, value.width - 2 - width)[value.align]
        pdf.text(x, value.height / 2 + size * 0.35, line)
    return to_bytes(pdf)


def _flatten_widgets(page) -> list[tuple[IndirectObject | StreamObject | FieldValue, str]]:
    """The page's form fields, taken off its annotations: each shown one's appearance (as its state
    picks it) and the matrix that places it on the page (PDF 32000-1, 12.5.5).

    Copies leave the catalog's /AcroForm behind (sanitize.py: scripts, XFA), and without it viewers
    draw no field at all (pdfium, Chrome's viewer, skips widgets outside the form; PDF.js draws them
    only as HTML form elements): what the paper shows filled in is drawn into the page instead, as
    printing or qpdf's flattening does. A text or choice field without an appearance has its value
    drawn in the bundled font (`FieldValue`); any other field without one is not drawn. (It amends
    an appearance that lacks resources: see below.)"""
    if "/Annots" not in page:
        return []
    annotations = page["/Annots"]
    if not isinstance(annotations, ArrayObject):
        return []
    kept, drawn = ArrayObject(), []
    resources = page.raw_get("/Resources") if "/Resources" in page else None
    for reference in annotations:
        annotation = reference.get_object()
        if not isinstance(annotation, DictionaryObject) or annotation.get("/Subtype") != "/Widget":
            kept.append(reference)
            continue
        flags = annotation.get("/F", 0)
        if isinstance(flags, int) and flags & (_HIDDEN | _NO_VIEW):
            continue
        appearance = _appearance(annotation)
        if appearance is None:
            value = _unshown_value(annotation)
            if value is not None:
                drawn.append(value)
            continue
        form = appearance.get_object()
        matrix = _placement(form, annotation.get("/Rect"))
        if matrix is None:
            continue
        if "/Resources" not in form and resources is not None:
            # Without resources of its own a form takes those of the page that draws it (PDF 32000-1,
            # 7.8.3: deprecated, but older producers count on it). In the copy the page's resources go
            # with its content's form, so the appearance is given them.
            form[NameObject("/Resources")] = resources
        drawn.append((appearance, matrix))
    if len(kept) != len(annotations):
        page[NameObject("/Annots")] = kept
    return drawn


def _unshown_value(annotation: DictionaryObject) -> tuple[FieldValue, str] | None:
    """A text or choice field's value, where the widget has no appearance to show it, and where it
    goes; None for any other widget, a password, an empty value or a flat rectangle."""
    if inherited(annotation, "/FT") not in ("/Tx", "/Ch") or "/AP" in annotation:
        return None
    flags = inherited(annotation, "/Ff")
    flags = flags if isinstance(flags, int) else 0
    if flags & PASSWORD:
        return None
    text = ", ".join(_shown_texts(annotation))
    try:
        x0, y0, x1, y1 = normal_box(annotation.get("/Rect"))
    except (TypeError, ValueError):
        return None
    if not text.strip() or x1 - x0 <= 0 or y1 - y0 <= 0:
        return None
    appearance = str(inherited(annotation, "/DA") or "")
    size = _FONT_SIZE.search(appearance)
    align = inherited(annotation, "/Q")
    # The widget's content may be turned (12.5.6.19, /MK /R, counterclockwise): the value is drawn
    # upright in the turned box, then turned onto the rectangle, as a page's content is by /Rotate.
    characteristics = annotation.get("/MK")
    turn = characteristics.get("/R", 0) if isinstance(characteristics, DictionaryObject) else 0
    turn = turn % 360 if isinstance(turn, int) and turn % 90 == 0 else 0
    turned = _view((x0, y0, x1, y1), turn)
    field = FieldValue(
        text,
        turned.width,
        turned.height,
        float(size.group(1)) if size else 0.0,
        bool(flags & MULTILINE),
        align if align in (0, 1, 2) else 0,
        _text_color(appearance),
    )
    return field, turned.matrix


def _text_color(appearance: str) -> tuple[int, int, int]:
    """The colour a field's default appearance (/DA) sets for its text: gray (`g`) or RGB (`rg`);
    black otherwise (CMYK's `k` included)."""
    found = _COLOR.search(appearance)
    if found is None:
        return (0, 0, 0)
    levels = [min(max(float(v), 0.0), 1.0) for v in found.group(1).split()]
    red, green, blue = levels * 3 if len(levels) == 1 else levels
    return (round(red * 255), round(green * 255), round(blue * 255))


def _shown_texts(annotation: DictionaryObject) -> list[str]:
    """What the field's value shows: its text, or for a choice, each chosen option's text where the
    options pair what is stored with what is shown (12.7.4.4, /Opt)."""
    value = inherited(annotation, "/V")
    values = value if isinstance(value, ArrayObject) else [value]
    chosen = [str(v) for v in values if isinstance(v, str) and not isinstance(v, NameObject)]
    options = inherited(annotation, "/Opt")
    shown = {}
    if isinstance(options, ArrayObject):
        for option in options:
            option = option.get_object()
            if isinstance(option, ArrayObject) and len(option) == 2:
                shown[str(option[0].get_object())] = str(option[1].get_object())
    return [shown.get(text, text) for text in chosen]


def _appearance(annotation: DictionaryObject) -> IndirectObject | StreamObject | None:
    """The widget's normal appearance as a reference (or the stream), in its current state (/AS)."""
    appearances = annotation.get("/AP")
    if not isinstance(appearances, DictionaryObject) or "/N" not in appearances:
        return None
    normal = appearances.raw_get("/N")
    if not isinstance(normal.get_object(), StreamObject):
        states = normal.get_object()
        state = annotation.get("/AS")
        if not isinstance(states, DictionaryObject) or state not in states:
            return None
        normal = states.raw_get(state)
    return normal if isinstance(normal.get_object(), StreamObject) else None


def _placement(form: StreamObject, rect) -> str | None:
    """The matrix that maps the form's box (its /BBox through its /Matrix) onto the annotation's
    rectangle; None where either is missing or flat."""
    try:
        x0, y0, x1, y1 = normal_box(rect)
        bx0, by0, bx1, by1 = normal_box(form["/BBox"])
        a, b, c, d, e, f = (float(v) for v in form.get("/Matrix", (1, 0, 0, 1, 0, 0)))
    except (KeyError, TypeError, ValueError):
        return None
    corners = [(a * x + c * y + e, b * x + d * y + f) for x in (bx0, bx1) for y in (by0, by1)]
    left, right = min(x for x, _ in corners), max(x for x, _ in corners)
    bottom, top = min(y for _, y in corners), max(y for _, y in corners)
    if right - left <= 0 or top - bottom <= 0 or x1 - x0 <= 0 or y1 - y0 <= 0:
        return None
    sx, sy = (x1 - x0) / (right - left), (y1 - y0) / (top - bottom)
    return " ".join(
        f"{v:.4f}".rstrip("0").rstrip(".") for v in (sx, 0, 0, sy, x0 - left * sx, y0 - bottom * sy)
    )
