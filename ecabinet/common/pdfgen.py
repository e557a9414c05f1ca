"""Generated PDF pages (covers, reports, watermarks) with an embedded Unicode font.

fpdf2 is pure Python and embeds a subset of the DejaVu fonts shipped in ecabinet/fonts, so Vietnamese
text is drawn and stays extractable without any system library.
"""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

FONTS = Path(__file__).resolve().parent.parent / "fonts"


def new_document(orientation: str = "P") -> FPDF:
    pdf = FPDF(orientation=orientation, unit="pt", format="A4")
    pdf.set_margins(56, 56, 56)
    pdf.set_auto_page_break(True, margin=56)
    pdf.add_font("Serif", "", str(FONTS / "DejaVuSerif.ttf"))
    pdf.add_font("Serif", "B", str(FONTS / "DejaVuSerif-Bold.ttf"))
    pdf.add_font("Serif", "I", str(FONTS / "DejaVuSerif-Italic.ttf"))
    pdf.add_font("Sans", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("Sans", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_font("Serif", size=12)
    pdf.set_creator("ecabinet")
    return pdf


def to_bytes(pdf: FPDF) -> bytes:
    return bytes(pdf.output())
