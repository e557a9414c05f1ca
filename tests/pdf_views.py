"""Looking at a PDF as a reader would: qpdf's check (through pikepdf), and pdfium's text and pictures
of its pages, in the orientation and crop a viewer shows them."""

from __future__ import annotations

import io
import warnings

import pikepdf
import pypdfium2 as pdfium

from ecabinet.documents import sanitize

SIDE = 420  # pixels along a rendered page's longer side: enough to see a page, cheap for a hundred
STAMP_SHADE = 40  # the watermark (14 % opaque) moves a channel by 36 at most


def normal(box) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = (float(v) for v in box)
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def visible(page: pikepdf.Page) -> tuple[float, float, float, float]:
    """The part of the page a viewer shows: the crop box within the media box."""
    mx0, my0, mx1, my1 = normal(page.mediabox)
    cx0, cy0, cx1, cy1 = normal(page.cropbox)
    return max(mx0, cx0), max(my0, cy0), min(mx1, cx1), min(my1, cy1)


def scale(box) -> float:
    x0, y0, x1, y1 = box
    return SIDE / max(x1 - x0, y1 - y0)


def to_pixels(box, rotate: int, x: float, y: float) -> tuple[float, float]:
    """Where user-space (x, y) lands on a rendered page (top-left origin, turned clockwise by /Rotate)."""
    x0, y0, x1, y1 = box
    width, height = x1 - x0, y1 - y0
    px, py = x - x0, height - (y - y0)
    px, py = {
        0: (px, py),
        90: (height - py, px),
        180: (width - px, height - py),
        270: (py, width - px),
    }[rotate % 360]
    return px * scale(box), py * scale(box)


def texts(data: bytes) -> list[str]:
    """Each page's text as pdfium reads it, runs of white space made one space."""
    document = pdfium.PdfDocument(data)
    try:
        found = []
        for page in document:
            text_page = page.get_textpage()
            found.append(" ".join(text_page.get_text_bounded().split()))
            text_page.close()
            page.close()
        return found
    finally:
        document.close()


def render(data: bytes, box, index: int = 0):
    """Page `index` as pdfium draws it (annotations and form fields too), SIDE pixels along its longer
    side when its visible box is `box`."""
    document = pdfium.PdfDocument(data)
    try:
        page = document[index]
        image = page.render(scale=scale(box), may_draw_forms=True).to_pil().convert("RGB")
        page.close()
        return image
    finally:
        document.close()


def changed(before, after, threshold: int = STAMP_SHADE):
    """The pixels where any channel moved by more than `threshold`, as a mask, and their bounding box."""
    from PIL import ImageChops

    difference = (
        ImageChops.difference(before, after).convert("L").point(lambda v: 255 if v > threshold else 0)
    )
    return difference, difference.getbbox()


def overlap(mask, other) -> float:
    """How much two masks agree, give or take a pixel of rounding: the pixels set in both over those
    set in either (each thickened by a pixel, over the size they share)."""
    from PIL import ImageChops, ImageFilter

    size = (min(mask.width, other.width), min(mask.height, other.height))
    a, b = (m.crop((0, 0, *size)).filter(ImageFilter.MaxFilter(3)).convert("1") for m in (mask, other))
    either = ImageChops.logical_or(a, b).histogram()[-1]
    return ImageChops.logical_and(a, b).histogram()[-1] / either if either else 1.0


def problems(data: bytes) -> set[str]:
    """The kinds of qpdf's findings (what, without where: object numbers and offsets differ between
    a file and its copies)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # jbig2dec is not installed: qpdf cannot decode JBIG2 to check it
        with pikepdf.open(io.BytesIO(data)) as pdf:
            try:
                found = pdf.check_pdf_syntax()
            except ValueError as error:  # qpdf's check itself stumbles over some damaged sources
                found = [f"the check failed: {error}"]
    return {problem.rsplit(": ", 1)[-1] for problem in found}


def without_what_acts(data: bytes) -> bytes:
    """The source less the annotations a member's copy drops (files, media: documents.sanitize)."""
    with pikepdf.open(io.BytesIO(data)) as pdf, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pikepdf warns of form fields it cannot reach: not our concern here
        page = pdf.pages[0].obj
        if "/Annots" not in page:
            return data
        page.Annots = pikepdf.Array(
            a for a in page.Annots if str(a.get("/Subtype")) not in sanitize.UNSAFE_ANNOTATIONS
        )
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()


def with_fields_drawn(data: bytes) -> bytes:
    """The PDF with its form fields' appearances drawn into its pages, as qpdf flattens them (its other
    annotations left as they are): what a member's copy shows of a form, which carries no form."""
    with pikepdf.open(io.BytesIO(data)) as pdf, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        others = {}
        for number, page in enumerate(pdf.pages):
            annotations = page.obj.get("/Annots")
            if isinstance(annotations, pikepdf.Array) and any(
                a.get("/Subtype") == "/Widget" for a in annotations
            ):
                others[number] = [a for a in annotations if a.get("/Subtype") != "/Widget"]
                page.obj.Annots = pikepdf.Array(a for a in annotations if a.get("/Subtype") == "/Widget")
        if not others:
            return data
        # Where the form asks the viewer to draw its fields anew (/NeedAppearances), qpdf draws its text
        # and choice fields first: a copy must show what a viewer of the original shows.
        pdf.generate_appearance_streams()
        pdf.flatten_annotations("screen")
        for number, annotations in others.items():
            pdf.pages[number].obj.Annots = pikepdf.Array(annotations)
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()
