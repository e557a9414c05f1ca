"""The Vietnamese administrative document form (thể thức văn bản hành chính), for PDF and DOCX.

The same layout for every report the office issues: the issuing body and the state header side by
side, place and date, a title in capitals, numbered sections, tables, and the signature block.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime

from docx import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from ecabinet.common import jobs
from ecabinet.common.pdfgen import new_document, to_bytes
from ecabinet.common.time import cabinet_time

STATE = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"


def number_line(symbol: str) -> str:
    return f"Số:        /{symbol}"


def vietnamese_date(when: datetime, place: str = "Hà Nội") -> str:
    local = cabinet_time(when)
    return f"{place}, ngày {local.day:02d} tháng {local.month:02d} năm {local.year}"


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]
    widths: list[float]  # shares of the text width, summing to 1


@dataclass
class Section:
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    # Sub-sections keep their order with the tables: (heading, paragraphs, tables)
    parts: list[Section] = field(default_factory=list)


@dataclass
class OfficialDocument:
    issuer: str
    # Ký hiệu: the kind's letters and the issuer's (BB-CP, BC-VPCP). The number before it is the
    # records office's to give when the document is registered, so the line leaves it blank.
    symbol: str
    title: str
    subtitle: str | None
    issued_at: datetime
    sections: list[Section]
    signatures: list[tuple[str, str]]  # (role, name), left to right
    recipients_note: str | None = None


# --- PDF -------------------------------------------------------------------------------------


def to_pdf(doc: OfficialDocument) -> bytes:
    # Laying out a long report's pages is pure Python for a good part of a second, which holds the GIL:
    # in a job worker, the loop that serves the tablets keeps its turns meanwhile (ecabinet.common.jobs).
    return jobs.run(_pdf, doc)


def to_docx(doc: OfficialDocument) -> bytes:
    return jobs.run(_docx, doc)


@jobs.job
def _pdf(doc: OfficialDocument) -> bytes:
    pdf = new_document()
    pdf.set_title(doc.title)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin
    top = pdf.get_y()
    left, right = width * 0.36, width * 0.64
    pdf.set_font("Serif", "B", 11)
    pdf.multi_cell(left, 16, doc.issuer.upper(), align="C", new_x="LEFT", new_y="NEXT")
    pdf.set_xy(pdf.l_margin + left, top)
    pdf.multi_cell(right, 16, STATE, align="C", new_x="LEFT", new_y="NEXT")
    pdf.set_x(pdf.l_margin + left)
    pdf.set_font("Serif", "BU", 11.5)  # the motto is underlined, as the form prescribes
    pdf.multi_cell(right, 16, MOTTO, align="C", new_x="LEFT", new_y="NEXT")
    dated = pdf.get_y()
    pdf.set_font("Serif", "", 11.5)
    pdf.set_xy(pdf.l_margin, dated)  # the number on the date's line, under the issuer
    pdf.multi_cell(left, 18, number_line(doc.symbol), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Serif", "I", 11.5)
    pdf.set_xy(pdf.l_margin + left, dated)
    pdf.multi_cell(right, 18, vietnamese_date(doc.issued_at), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(14)
    pdf.set_font("Serif", "B", 14)
    pdf.multi_cell(width, 20, doc.title, align="C", new_x="LMARGIN", new_y="NEXT")
    if doc.subtitle:
        pdf.set_font("Serif", "B", 12)
        pdf.multi_cell(width, 17, doc.subtitle, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(10)
    for section in doc.sections:
        _pdf_section(pdf, section, width, level=0)
    pdf.ln(16)
    _pdf_signatures(pdf, doc, width)
    return to_bytes(pdf)


def _pdf_section(pdf, section: Section, width: float, level: int) -> None:
    pdf.set_font("Serif", "B", 12.5 if level == 0 else 12)
    pdf.multi_cell(width, 18, section.heading, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Serif", "", 12)
    for paragraph in section.paragraphs:
        pdf.multi_cell(width, 17, paragraph, align="J", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    for table in section.tables:
        _pdf_table(pdf, table, width)
    for part in section.parts:
        _pdf_section(pdf, part, width, level + 1)
    pdf.ln(4)


def _pdf_table(pdf, table: Table, width: float) -> None:
    pdf.set_font("Serif", "", 10.5)
    with pdf.table(
        col_widths=[w * width for w in table.widths],
        text_align="LEFT",
        line_height=14,
        first_row_as_headings=True,
    ) as grid:
        head = grid.row()
        for title in table.headers:
            head.cell(title)
        for values in table.rows:
            row = grid.row()
            for value in values:
                row.cell(value)
    pdf.ln(6)


def _pdf_signatures(pdf, doc: OfficialDocument, width: float) -> None:
    count = len(doc.signatures)
    column = width / max(count, 1)
    top = pdf.get_y()
    if top > pdf.h - 160:
        pdf.add_page()
        top = pdf.get_y()
    for index, (role, name) in enumerate(doc.signatures):
        x = pdf.l_margin + index * column
        pdf.set_xy(x, top)
        pdf.set_font("Serif", "B", 12)
        pdf.multi_cell(column, 16, role.upper(), align="C", new_x="LEFT", new_y="NEXT")
        pdf.set_x(x)
        pdf.set_font("Serif", "I", 11)
        pdf.multi_cell(column, 15, "(Ký, ghi rõ họ tên)", align="C", new_x="LEFT", new_y="NEXT")
        pdf.ln(48)
        pdf.set_x(x)
        pdf.set_font("Serif", "B", 12)
        pdf.multi_cell(column, 16, name, align="C", new_x="LEFT", new_y="NEXT")


# --- DOCX ------------------------------------------------------------------------------------


@jobs.job
def _docx(doc: OfficialDocument) -> bytes:
    document = DocxDocument()
    style = document.styles["Normal"]
    style.font.name = "Times New Roman"
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "Times New Roman")
    style.font.size = Pt(13)
    for section in document.sections:
        section.left_margin, section.right_margin = Cm(3), Cm(2)
        section.top_margin, section.bottom_margin = Cm(2), Cm(2)
    document.core_properties.title = doc.title
    header = document.add_table(rows=1, cols=2)
    header.alignment = WD_TABLE_ALIGNMENT.CENTER
    left, right = header.rows[0].cells
    _centered(left.paragraphs[0], doc.issuer.upper(), bold=True)
    left.add_paragraph()  # level with the motto
    _centered(left.add_paragraph(), number_line(doc.symbol))
    _centered(right.paragraphs[0], STATE, bold=True)
    _centered(right.add_paragraph(), MOTTO, bold=True)
    _centered(right.add_paragraph(), vietnamese_date(doc.issued_at), italic=True)
    document.add_paragraph()
    _centered(document.add_paragraph(), doc.title, bold=True, size=14)
    if doc.subtitle:
        _centered(document.add_paragraph(), doc.subtitle, bold=True)
    for section in doc.sections:
        _docx_section(document, section, level=1)
    signatures = document.add_table(rows=1, cols=max(len(doc.signatures), 1))
    for cell, (role, name) in zip(signatures.rows[0].cells, doc.signatures, strict=False):
        _centered(cell.paragraphs[0], role.upper(), bold=True)
        _centered(cell.add_paragraph(), "(Ký, ghi rõ họ tên)", italic=True)
        for _ in range(3):
            cell.add_paragraph()
        _centered(cell.add_paragraph(), name, bold=True)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _centered(
    paragraph, text: str, bold: bool = False, italic: bool = False, size: int | None = None
) -> None:
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run(text)
    run.bold, run.italic = bold, italic
    if size:
        run.font.size = Pt(size)


def _docx_section(document, section: Section, level: int) -> None:
    heading = document.add_heading(section.heading, level=min(level, 3))
    for run in heading.runs:
        run.font.name = "Times New Roman"
    for paragraph in section.paragraphs:
        document.add_paragraph(paragraph).alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    for table in section.tables:
        grid = document.add_table(rows=1, cols=len(table.headers))
        grid.style = "Table Grid"
        for cell, title in zip(grid.rows[0].cells, table.headers, strict=True):
            cell.text = ""
            cell.paragraphs[0].add_run(title).bold = True
        for values in table.rows:
            cells = grid.add_row().cells
            for cell, value in zip(cells, values, strict=True):
                cell.text = value
        document.add_paragraph()
    for part in section.parts:
        _docx_section(document, part, level + 1)
