"""Generated PDF pages (covers, reports, watermarks) with an embedded Unicode font.

fpdf2 is pure Python and embeds a subset of the DejaVu fonts shipped in ecabinet/fonts, so Vietnamese
text is drawn and stays extractable without any system library.
"""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

FONTS = Path(__file__).resolve().parent.parent / "fonts"


FONT_FILES = {
    ("Serif", ""): "DejaVuSerif.ttf",
    ("Serif", "B"): "DejaVuSerif-Bold.ttf",
    ("Serif", "I"): "DejaVuSerif-Italic.ttf",
    ("Sans", ""): "DejaVuSans.ttf",
    ("Sans", "B"): "DejaVuSans-Bold.ttf",
}


def new_document(orientation: str = "P", fonts: tuple[tuple[str, str], ...] = tuple(FONT_FILES)) -> FPDF:
    """An A4 document in points with the named fonts (all by default; reading a font costs time)."""
    pdf = FPDF(orientation=orientation, unit="pt", format="A4")
    pdf.set_margins(56, 56, 56)
    pdf.set_auto_page_break(True, margin=56)
    for family, style in fonts:
        pdf.add_font(family, style, str(FONTS / FONT_FILES[family, style]))
    pdf.set_font(*fonts[0], size=12)
    pdf.set_creator("ecabinet")
    return pdf


def to_bytes(pdf: FPDF) -> bytes:
    return bytes(pdf.output())
