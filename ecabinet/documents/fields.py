"""Form fields a paper leaves to the viewer to draw.

A form whose /AcroForm says /NeedAppearances asks every viewer to draw its fields anew from their
values: the appearances stored with them may be stale or missing (LibreOffice, Evince and pypdf fill
forms so). A member's copy carries no form (documents.sanitize) and shows what the fields show drawn
into its pages (documents.stamping), so such a paper's copies are made from a file whose appearances
qpdf (through pikepdf) drew from the values, as a viewer of the original would. The stored original
stays as it was uploaded, byte for byte.

qpdf draws text fields and list or combo boxes (the kinds whose appearance is their value); check
boxes and radio buttons show their state's stored appearance anyway. It writes a value in the field's
own font, through that font's one-byte encoding (WinAnsi, as LibreOffice's forms have it), and puts
"?" for a character the encoding lacks: most of Vietnamese ("Nguy?n V?n ??c"). A field whose value
has such a character keeps the appearance its producer drew (LibreOffice draws one with a font that
has the glyphs), or, without one, stays without: the copy draws its value in the bundled Unicode font
(documents.stamping). So do a password field, whose value qpdf would write out in clear, and a choice
whose options show other text than they store (qpdf writes what is stored). qpdf draws the others.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import pikepdf
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject


class CannotDraw(Exception):
    """qpdf could not read or write the file (pypdf, which read it at its upload, is laxer in places):
    its copies are made from what it stores, as before."""


def need_drawing(reader: PdfReader) -> bool:
    """Whether the PDF has form fields and asks viewers to draw them anew."""
    form = reader.root_object.get("/AcroForm")
    form = None if form is None else form.get_object()
    if not isinstance(form, DictionaryObject) or not form.get("/NeedAppearances"):
        return False
    fields = form.get("/Fields")
    fields = None if fields is None else fields.get_object()
    return isinstance(fields, ArrayObject) and len(fields) > 0


def draw(source: Path, out: BinaryIO) -> None:
    """Write `source` to `out` with its fields' appearances drawn from their values."""
    try:
        with pikepdf.open(source) as pdf:
            kept = [_Stored(widget, stream) for widget, stream in _left_as_stored(pdf)]
            pdf.generate_appearance_streams()
            for stored in kept:
                stored.restore()
            # Every stream is written as it is stored: none is inflated (a bomb stays a small file).
            pdf.save(out, stream_decode_level=pikepdf.StreamDecodeLevel.none)
    except (pikepdf.PdfError, ValueError, RuntimeError) as error:
        raise CannotDraw(str(error)) from error


# The encoding qpdf writes a value in, for the fonts forms use (WinAnsi): a value it cannot hold
# would come out with "?" in it.
_ONE_BYTE = "cp1252"
# Field flags (PDF 32000-1, 12.7.4.3): a text field of several lines; a password, whose value is
# never shown (qpdf would write it out).
MULTILINE, PASSWORD = 1 << 12, 1 << 13
_DEPTH = 32  # a field inherits from its parents; a loop among them ends here


def _left_as_stored(pdf: pikepdf.Pdf) -> list[tuple[pikepdf.Dictionary, pikepdf.Stream | None]]:
    """The widgets qpdf would draw wrongly (`_misdrawn`), with their stored (normal) appearance, if any."""
    found = []
    for page in pdf.pages:
        annotations = page.obj.get("/Annots")
        if not isinstance(annotations, pikepdf.Array):
            continue
        for widget in annotations:
            if not isinstance(widget, pikepdf.Dictionary) or widget.get("/Subtype") != "/Widget":
                continue
            appearances = widget.get("/AP")
            normal = appearances.get("/N") if isinstance(appearances, pikepdf.Dictionary) else None
            if normal is not None and not isinstance(normal, pikepdf.Stream):
                continue  # appearances by state: a button's, which qpdf leaves as they are
            if _misdrawn(widget):
                found.append((widget, normal))
    return found


def _misdrawn(widget: pikepdf.Dictionary) -> bool:
    """What qpdf would draw wrongly: a password (in clear), a value with a character WinAnsi lacks
    ("?"), a choice among options that pair what is stored with what is shown (it writes the stored
    one) or whose text it cannot write."""
    flags = inherited(widget, "/Ff")
    if (isinstance(flags, int) and flags & PASSWORD) or not _one_byte(_value(widget)):
        return True
    options = inherited(widget, "/Opt")
    return isinstance(options, pikepdf.Array) and any(
        isinstance(option, pikepdf.Array) or not _one_byte(str(option)) for option in options
    )


def inherited(field: DictionaryObject | pikepdf.Dictionary, key: str):
    """The entry of the field or of the nearest parent that has it (12.7.3.1), resolved; for pypdf's
    dictionaries (documents.stamping) and pikepdf's alike: each resolves a reference when indexed."""
    for _ in range(_DEPTH):
        if key in field:
            return field[key]
        if "/Parent" not in field:
            return None
        field = field["/Parent"]  # not .get(): pypdf's leaves a reference unresolved
        if not isinstance(field, DictionaryObject | pikepdf.Dictionary):
            return None
    return None


def _value(widget: pikepdf.Dictionary) -> str:
    """The field's value as text (a choice field's may be a list); "" for a name (a button's state)."""
    value = inherited(widget, "/V")
    values = value if isinstance(value, pikepdf.Array) else [value]
    return "".join(str(v) for v in values if isinstance(v, pikepdf.String))


def _one_byte(text: str) -> bool:
    try:
        text.encode(_ONE_BYTE)
    except UnicodeEncodeError:
        return False
    return True


class _Stored:
    """A widget's appearance as stored (or its lack of one), put back after qpdf has drawn it anew
    (in a new stream, or in the stored one)."""

    def __init__(self, widget: pikepdf.Dictionary, stream: pikepdf.Stream | None):
        self.widget, self.stream = widget, stream
        if stream is not None:
            self.data = stream.read_raw_bytes()
            self.entries = {key: stream.stream_dict[key] for key in stream.stream_dict if key != "/Length"}

    def restore(self) -> None:
        if self.stream is None:
            if "/AP" in self.widget:
                del self.widget["/AP"]
            return
        self.stream.write(
            self.data, filter=self.entries.get("/Filter"), decode_parms=self.entries.get("/DecodeParms")
        )
        for key in list(self.stream.stream_dict):
            if key not in self.entries and key != "/Length":
                del self.stream.stream_dict[key]
        for key, value in self.entries.items():
            self.stream.stream_dict[key] = value
        if isinstance(self.widget.get("/AP"), pikepdf.Dictionary):
            self.widget.AP.N = self.stream
        else:
            self.widget.AP = pikepdf.Dictionary(N=self.stream)
