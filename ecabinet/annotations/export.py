"""A member's annotations written into the PDF as real PDF annotations, with appearance streams.

Viewers that draw annotations from their appearance stream (/AP) alone show them exactly; the
annotation dictionaries (Highlight with QuadPoints, Ink with InkList, Text, FreeText …) keep them
editable in any PDF editor. pypdf has no Ink class, so the dictionaries are written here, into a
copy the byte copier makes (documents.assembly), as the member's copy itself was made: pypdf's
PdfWriter, which wrote them before, damaged names holding a NUL byte (tests/corpus).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from pypdf import PageObject
from pypdf.generic import (
    ArrayObject,
    BooleanObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    NumberObject,
    RectangleObject,
    TextStringObject,
)
from sqlalchemy import select

from ecabinet.annotations.models import Annotation
from ecabinet.annotations.service import own_for_version
from ecabinet.auth.models import User
from ecabinet.common import jobs
from ecabinet.common.pdfgen import new_document, to_bytes
from ecabinet.documents.assembly import Assembler
from ecabinet.documents.exports import atomic_output, cache_path, copying, download_for
from ecabinet.documents.models import DocumentVersion
from ecabinet.documents.sanitize import catalog_entries
from ecabinet.documents.stamping import Stamper
from ecabinet.extensions import db

SUBTYPES = {
    "highlight": "/Highlight",
    "underline": "/Underline",
    "strikeout": "/StrikeOut",
    "ink": "/Ink",
    "note": "/Text",
    "freetext": "/FreeText",
}
NOTE_ICON = 20.0


def _rgb(color: str) -> tuple[float, float, float]:
    return tuple(int(color[i : i + 2], 16) / 255 for i in (1, 3, 5))


def _n(value: float) -> FloatObject:
    return FloatObject(round(value, 3))


def _pdf_date(when: datetime) -> str:
    return when.strftime("D:%Y%m%d%H%M%SZ")


def _bounds(annotation: Annotation) -> list[float]:
    if annotation.kind == "ink":
        xs = [x for path in annotation.paths for x, _ in path]
        ys = [y for path in annotation.paths for _, y in path]
        pad = 2.0
        return [min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad]
    if annotation.kind == "note":
        x1, _, _, y2 = annotation.rects[0]
        return [x1, y2 - NOTE_ICON, x1 + NOTE_ICON, y2]
    rects = annotation.rects
    return [
        min(r[0] for r in rects),
        min(r[1] for r in rects),
        max(r[2] for r in rects),
        max(r[3] for r in rects),
    ]


def _appearance(pdf: Assembler, annotation: Annotation, rect: list[float]):
    """A Form XObject drawn in the annotation's own box: BBox [0 0 w h], origin at the rect's corner."""
    x0, y0, x1, y1 = rect
    r, g, b = _rgb(annotation.color)
    ops: list[str] = []
    resources = DictionaryObject()
    if annotation.kind == "highlight":
        resources[NameObject("/ExtGState")] = DictionaryObject(
            {
                NameObject("/GS0"): DictionaryObject(
                    {NameObject("/BM"): NameObject("/Multiply"), NameObject("/ca"): FloatObject(0.5)}
                )
            }
        )
        ops.append(f"/GS0 gs {r:.3f} {g:.3f} {b:.3f} rg")
        for rx1, ry1, rx2, ry2 in annotation.rects:
            ops.append(f"{rx1 - x0:.2f} {ry1 - y0:.2f} {rx2 - rx1:.2f} {ry2 - ry1:.2f} re f")
    elif annotation.kind in ("underline", "strikeout"):
        ops.append(f"{r:.3f} {g:.3f} {b:.3f} RG")
        for rx1, ry1, rx2, ry2 in annotation.rects:
            height = ry2 - ry1
            y = ry1 + height * 0.08 if annotation.kind == "underline" else ry1 + height * 0.45
            ops.append(
                f"{max(0.8, height * 0.07):.2f} w {rx1 - x0:.2f} {y - y0:.2f} m {rx2 - x0:.2f} {y - y0:.2f} l S"
            )
    elif annotation.kind == "ink":
        ops.append(f"{r:.3f} {g:.3f} {b:.3f} RG 2 w 1 J 1 j")
        for path in annotation.paths:
            (sx, sy), rest = path[0], path[1:] or [path[0]]
            ops.append(
                f"{sx - x0:.2f} {sy - y0:.2f} m "
                + " ".join(f"{x - x0:.2f} {y - y0:.2f} l" for x, y in rest)
                + " S"
            )
    elif annotation.kind == "note":
        ops.append(
            f"{r:.3f} {g:.3f} {b:.3f} rg 0.3 0.3 0.3 RG 1 w 0.5 0.5 {NOTE_ICON - 1} {NOTE_ICON - 1} re B"
        )
        ops.append("0.3 0.3 0.3 RG 4 14 m 16 14 l 4 10 m 16 10 l 4 6 m 12 6 l S")
    else:  # freetext: the words need a font with Vietnamese glyphs, so the box is drawn by fpdf2
        return _freetext_appearance(pdf, annotation, x1 - x0, y1 - y0)
    form = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Form"),
            NameObject("/BBox"): RectangleObject([0, 0, x1 - x0, y1 - y0]),
            NameObject("/Resources"): resources,
        }
    )
    return pdf.add_stream("\n".join(ops).encode(), form)


def _freetext_appearance(pdf: Assembler, annotation: Annotation, width: float, height: float):
    drawing = new_document()
    drawing.set_margins(2, 2, 2)
    drawing.set_auto_page_break(False)
    drawing.add_page(format=(max(width, 4), max(height, 4)))
    drawing.set_font("Sans", size=10)
    drawing.set_text_color(*(int(c * 255) for c in _rgb(annotation.color)))
    drawing.set_xy(2, 2)
    drawing.multi_cell(max(width - 4, 1), 12, annotation.text or "")
    return pdf.add_form(to_bytes(drawing), max(width, 4), max(height, 4))


def write_annotations(pdf: Assembler, pages: list[PageObject], annotations: list[Annotation]) -> None:
    """Add the annotations to the pages of an open source of `pdf`, before the pages are added."""
    for annotation in annotations:
        page = pages[annotation.page - 1]
        rect = _bounds(annotation)
        r, g, b = _rgb(annotation.color)
        entry = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Annot"),
                NameObject("/Subtype"): NameObject(SUBTYPES[annotation.kind]),
                NameObject("/Rect"): RectangleObject(rect),
                NameObject("/C"): ArrayObject([_n(r), _n(g), _n(b)]),
                NameObject("/F"): NumberObject(4),  # print it
                NameObject("/T"): TextStringObject(annotation.user.full_name),
                NameObject("/NM"): TextStringObject(f"ecabinet-annotation-{annotation.id}"),
                NameObject("/M"): TextStringObject(_pdf_date(annotation.updated_at)),
                NameObject("/P"): page.indirect_reference,
            }
        )
        contents = annotation.text or annotation.quote
        if contents:
            entry[NameObject("/Contents")] = TextStringObject(contents)
        if annotation.kind in ("highlight", "underline", "strikeout"):
            quads = []
            for x1, y1, x2, y2 in annotation.rects:
                quads += [x1, y2, x2, y2, x1, y1, x2, y1]
            entry[NameObject("/QuadPoints")] = ArrayObject([_n(v) for v in quads])
        elif annotation.kind == "ink":
            entry[NameObject("/InkList")] = ArrayObject(
                ArrayObject([_n(v) for point in path for v in point]) for path in annotation.paths
            )
            entry[NameObject("/BS")] = DictionaryObject({NameObject("/W"): NumberObject(2)})
        elif annotation.kind == "note":
            entry[NameObject("/Name")] = NameObject("/Comment")
            entry[NameObject("/Open")] = BooleanObject(False)
        elif annotation.kind == "freetext":
            entry[NameObject("/DA")] = TextStringObject(f"/Helv 10 Tf {r:.3f} {g:.3f} {b:.3f} rg")
        entry[NameObject("/AP")] = DictionaryObject({NameObject("/N"): _appearance(pdf, annotation, rect)})
        ref = pdf.add(entry)
        if "/Annots" in page:
            page["/Annots"].append(ref)
        else:
            page[NameObject("/Annots")] = ArrayObject([ref])


def annotated_for(user: User, version: DocumentVersion) -> Path:
    """The version with this user's own annotations in it (and their watermark where one applies)."""
    copy = download_for(user, version, new_download=False)
    # Which annotations, as they are now: their ids and times, without reading their ink.
    state = db.session.execute(
        select(Annotation.id, Annotation.updated_at)
        .where(Annotation.version_id == version.id, Annotation.user_id == user.id)
        .order_by(Annotation.id)
    ).all()
    target = cache_path("annotated", copy.name, [tuple(row) for row in state])
    if not target.exists():
        # A large ink note is thousands of points, each written by pure Python: in a job worker, so
        # that the loop serving the tablets keeps its turns meanwhile (ecabinet.common.jobs).
        jobs.run(_write_annotated, copy, user.id, version.id, target)
    return target


@jobs.job
def _write_annotated(copy: Path, user_id: int, version_id: int, target: Path) -> None:
    user, version = db.session.get(User, user_id), db.session.get(DocumentVersion, version_id)
    annotations = own_for_version(user, version)
    with atomic_output(target) as out:
        pdf = Assembler(out)
        with copying(pdf, copy) as reader:
            # The copy is the stored original where no watermark applies and nothing in it acts: its
            # form fields are drawn into their pages, as in every copy (its /AcroForm stays behind).
            stamper = Stamper(pdf, None)
            for page in reader.pages:
                stamper.stamp(page)
            write_annotations(pdf, reader.pages, annotations)
            pdf.add_pages(reader.pages)
            # The copy is already what a member may have (documents.sanitize): its catalog's entries
            # and information come along as they are.
            pdf.finish(
                catalog_entries(reader.root_object),
                reader.trailer.raw_get("/Info") if "/Info" in reader.trailer else None,
            )
