"""Form fields a paper leaves to the viewer to draw.

A form whose /AcroForm says /NeedAppearances asks every viewer to draw its fields anew from their
values: the appearances stored with them may be stale or missing (LibreOffice, Evince and pypdf fill
forms so). A member's copy carries no form (documents.sanitize) and shows what the fields show drawn
into its pages (documents.stamping), so such a paper's copies are made from a file whose appearances
qpdf (through pikepdf) drew from the values, as a viewer of the original would. The stored original
stays as it was uploaded, byte for byte.

qpdf draws text fields and list or combo boxes (the kinds whose appearance is their value); check
boxes and radio buttons show their state's stored appearance anyway. It writes a value in the field's
own font where that font's encoding has the characters, which is what a viewer does too.
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
            pdf.generate_appearance_streams()
            # Every stream is written as it is stored: none is inflated (a bomb stays a small file).
            pdf.save(out, stream_decode_level=pikepdf.StreamDecodeLevel.none)
    except (pikepdf.PdfError, ValueError, RuntimeError) as error:
        raise CannotDraw(str(error)) from error
