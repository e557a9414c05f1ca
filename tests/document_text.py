"""The text a person reads in a downloaded PDF or Word file, its white space folded, for a test to look
for words in."""

from __future__ import annotations

import io

import docx
from pypdf import PdfReader


def pdf_text(data: bytes) -> str:
    """Every page's text, one space between words."""
    return " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(data)).pages)


def docx_text(data: bytes) -> str:
    """The paragraphs' text, then the tables' cells, one space between words."""
    document = docx.Document(io.BytesIO(data))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return " ".join(" ".join(s.split()) for s in [p.text for p in document.paragraphs] + cells)
