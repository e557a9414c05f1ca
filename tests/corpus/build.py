"""Builds tests/corpus once: public sample PDFs picked from packages' source distributions, and PDFs
made here with the tools ministries' files come from (Ghostscript, ReportLab, img2pdf, qpdf through
pikepdf, pyHanko, pypdf's incremental writer). Not run by the tests: they read the files it left.

    # the sources: pikepdf's and pypdf's sdists, unpacked in SRC
    pip download --no-binary :all: --no-deps -d SRC pikepdf==10.18.0 pypdf==7.1.1   # then untar both
    apt-get install ghostscript; pip install reportlab img2pdf      # for the build only
    .venv/bin/python tests/corpus/build.py SRC

It rewrites the PDFs and README.md (each file's origin, producer and licence) in this folder.
"""

from __future__ import annotations

import io
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

PIKEPDF = "pikepdf-10.18.0"
PYPDF = "pypdf-7.1.1"
PIKEPDF_NOTE = "pikepdf 10.18.0 sdist, tests/resources (licence from its REUSE.toml)"
PYPDF_NOTE = "pypdf 7.1.1 sdist, resources/ (shipped under pypdf's BSD-3-Clause licence)"

# (file in the sdist, licence) — under 300 KB each; the encrypted ones are for refusals.
PUBLIC = {
    PIKEPDF: [
        ("tests/resources/1biticc.pdf", "CC-BY-SA-4.0 (2023 James R. Barlow)"),
        ("tests/resources/aquamarine-cie.pdf", "CC-BY-SA-4.0 (2023 James R. Barlow)"),
        ("tests/resources/badlin1.pdf", "Apache-2.0 (2019 Jay Berkenbilt)"),
        ("tests/resources/ccitt-endofline-true.pdf", "CC0-1.0 (2024 Leon Eckardt)"),
        ("tests/resources/cmyk-jpeg.pdf", "CC-BY-SA-4.0 (2023 James R. Barlow)"),
        ("tests/resources/congress-gray.pdf", "CC-PDDC (public domain)"),
        ("tests/resources/congress.pdf", "CC-PDDC (public domain)"),
        ("tests/resources/content-stream-errors.pdf", "Apache-2.0 (2019 Jay Berkenbilt)"),
        ("tests/resources/ctm_cm.pdf", "CC-BY-SA-4.0 (2025 rakurtz)"),
        ("tests/resources/cyclic-toc.pdf", "CC-PDDC (public domain)"),
        ("tests/resources/form.pdf", "CC-BY-SA-4.0 (2023 James R. Barlow)"),
        ("tests/resources/form_dd0293.pdf", "CC-PDDC (public domain; a U.S. government form)"),
        ("tests/resources/formxobject.pdf", "CC-BY-SA-4.0 (2023 James R. Barlow)"),
        ("tests/resources/fourpages.pdf", "CC-BY-SA-4.0 (2023 James R. Barlow)"),
        ("tests/resources/graph.pdf", "CC-PDDC (public domain)"),
        ("tests/resources/image-mono-inline.pdf", "CC-BY-SA-4.0 (2023 James R. Barlow)"),
        ("tests/resources/invalid_creationdate.pdf", "CC-BY-SA-4.0 (2023 James R. Barlow)"),
        ("tests/resources/jbig2.pdf", "CC-PDDC (public domain)"),
        ("tests/resources/jbig2global.pdf", "CC-BY-SA-3.0 or GFDL-1.2-or-later (2005 Ellywa)"),
        ("tests/resources/newline-buffer-test.pdf", "CC-BY-SA-4.0 (2023 James R. Barlow)"),
        ("tests/resources/outlines.pdf", "MPL-2.0 (2020 Matthias Erll)"),
        ("tests/resources/pal-1bit-rgb.pdf", "CC-BY-SA-4.0 (2023 James R. Barlow)"),
        ("tests/resources/pal.pdf", "CC-BY-SA-4.0 (2023 James R. Barlow)"),
        ("tests/resources/pike-jp2.pdf", "CC-PDDC (public domain)"),
        ("tests/resources/pink-palette-icc.pdf", "CC-BY-SA-4.0 (2023 James R. Barlow)"),
        ("tests/resources/rle.pdf", "CC-BY-SA-4.0 (2023 James R. Barlow)"),
        ("tests/resources/sandwich.pdf", "CC-BY-SA-3.0 or GFDL-1.2-or-later (1985 Forat Electronics)"),
        ("tests/resources/veraPDF test suite 6-2-10-t02-pass-a.pdf", "CC-BY-4.0 (2015 veraPDF Consortium)"),
        ("tests/resources/pdfa/acroform.pdf", "CC-BY-SA-4.0 (2025 James R. Barlow)"),
        ("tests/resources/pdfa/c03-29.pdf", "CC-PDDC (public domain)"),
        ("tests/resources/pdfa/ccitt.pdf", "CC-BY-SA-3.0 or GFDL-1.2-or-later (1985 Forat Electronics)"),
        ("tests/resources/pdfa/fpdf2_cjk.pdf", "CC-BY-SA-4.0 AND OFL-1.1 (2026 James R. Barlow)"),
        ("tests/resources/pdfa/fpdf2_latin_tr3.pdf", "CC-BY-SA-4.0 AND OFL-1.1 (2026 James R. Barlow)"),
        ("tests/resources/pdfa/graph_ocred.pdf", "CC-BY-SA-3.0 or GFDL-1.2-or-later (2012 SmokeyJoe)"),
        ("tests/resources/pdfa/jbig2.pdf", "CC-BY-SA-3.0 or GFDL-1.2-or-later (1985 Forat Electronics)"),
        (
            "tests/resources/pdfa/lichtenstein.pdf",
            "CC-BY-SA-3.0 or GFDL-1.2-or-later (2001 A. Tille, 2007 A. Damato)",
        ),
        ("tests/resources/pdfa/link.pdf", "CC-BY-SA-4.0 (2014 Euskaldunaa)"),
        ("tests/resources/pdfa/overlay.pdf", "MIT (2017 Max Anderson)"),
        ("tests/resources/pdfa/palette.pdf", "CC-BY-SA-4.0 (2014 Euskaldunaa)"),
        ("tests/resources/pdfa/tagged.pdf", "CC-BY-SA-4.0 (2025 James R. Barlow)"),
        ("tests/resources/pdfa/toc.pdf", "CC-BY-SA-4.0 (2025 James R. Barlow)"),
        ("tests/resources/pdfa/truetype_font_nomapping.pdf", "CC-BY-SA-4.0 (2025 James R. Barlow)"),
        ("tests/resources/pdfa/vector.pdf", "MIT (2018 Catscratch)"),
    ],
    PYPDF: [
        (f"resources/{name}", "BSD-3-Clause (as shipped in pypdf's sdist)")
        for name in (
            "AutoCad_Diagram.pdf",
            "AutoCad_Simple.pdf",
            "FormTestFromOo.pdf",
            "SF424_page2.pdf",
            "Sample_Td-matrix.pdf",
            "Seige_of_Vicksburg_Sample_OCR.pdf",
            "box.pdf",
            "bytes.pdf",
            "commented-xmp.pdf",
            "commented.pdf",
            "crazyones.pdf",
            "crazyones-encrypted-256.pdf",
            "libreoffice-writer-password.pdf",
            "encryption/r2-empty-password.pdf",
            "encryption/r6-user-password.pdf",
            "example.pdf",
            "form.pdf",
            "form_acrobatReader.pdf",
            "form_evince.pdf",
            "git.pdf",
            "hello-world.pdf",
            "imagemagick-ASCII85Decode.pdf",
            "imagemagick-CCITTFaxDecode.pdf",
            "imagemagick-images.pdf",
            "imagemagick-lzw.pdf",
            "indirect-rotation.pdf",
            "inkscape-abc.pdf",
            "issue-297.pdf",
            "issue-301.pdf",
            "issue-3850-1bit-indexed-flate.pdf",
            "jpeg.pdf",
            "labeled-edges-center-image.pdf",
            "libreoffice-form.pdf",
            "metadata.pdf",
            "missing_info.pdf",
            "multilang.pdf",
            "outline-without-title.pdf",
            "outlines-with-invalid-destinations.pdf",
            "pdflatex-forms.pdf",
            "pdflatex-outline.pdf",
            "reportlab-inline-image.pdf",
            "selenium-pypdf-issue-177.pdf",
            "superscript-pdftex.pdf",
            "toy.pdf",
            "two-different-pages.pdf",
            "visitor_text_position.pdf",
        )
    ],
}

MADE = "made here by tests/corpus/build.py (CC0-1.0; fonts DejaVu, its free licence)"

VIETNAMESE = (
    "Dự thảo Nghị định quy định chi tiết một số điều của Luật Đất đai về bồi thường, hỗ trợ, tái định cư "
    "khi Nhà nước thu hồi đất. Các bộ, ngành, địa phương có trách nhiệm tổ chức thực hiện."
)


# --- bases ----------------------------------------------------------------------------------------


def fpdf_document(pages: int = 2, size=(595.28, 841.89)) -> bytes:
    from ecabinet.common.pdfgen import new_document, to_bytes

    pdf = new_document()
    for number in range(1, pages + 1):
        pdf.add_page(format=size)
        pdf.set_font("Serif", "B", 14)
        pdf.cell(0, 20, f"Tờ trình số {number}/TTr-BTC", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Serif", "", 11)
        pdf.multi_cell(0, 15, VIETNAMESE)
    return to_bytes(pdf)


def reportlab_document(pages: int = 2, rotate: int = 0, form: bool = False, links: bool = False) -> bytes:
    from reportlab.lib.pagesizes import A4, letter
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4 if not links else letter, pageCompression=1)
    c.setTitle("Report")
    for number in range(1, pages + 1):
        if rotate:
            c.setPageRotation(rotate)
        c.setFont("Helvetica-Bold", 16)
        c.drawString(72, 760, f"Ministry report, page {number}")
        c.setFont("Times-Roman", 11)
        for line in range(20):
            c.drawString(72, 720 - 16 * line, f"Line {line + 1}: the budget, the plan and the schedule.")
        c.setStrokeColorRGB(0.1, 0.3, 0.6)
        c.rect(72, 300, 200, 80)
        if links:
            c.linkURL("https://example.gov/", (72, 300, 272, 380), relative=0)
            c.bookmarkPage(f"p{number}")
            c.addOutlineEntry(f"Page {number}", f"p{number}")
        if form and number == 1:
            c.acroForm.textfield(
                name="name", tooltip="Name", x=72, y=200, width=200, height=20, value="Nguyen"
            )
            c.acroForm.checkbox(name="agree", x=300, y=200, checked=True)
        c.showPage()
    c.save()
    return out.getvalue()


def postscript_document() -> bytes:
    """A PostScript program, as a driver prints it, for Ghostscript to distil."""
    lines = [b"%!PS-Adobe-3.0", b"%%Pages: 2", b"/Times-Roman findfont 12 scalefont setfont"]
    for number in (1, 2):
        lines += [
            b"%%%%Page: %d %d" % (number, number),
            b"72 720 moveto (Ministry of Finance: submission, page %d) show" % number,
            b"72 700 moveto (The draft decree on land compensation.) show",
            b"0.2 setgray 72 400 moveto 300 400 lineto 300 500 lineto closepath fill",
            b"showpage",
        ]
    return b"\n".join(lines + [b"%%EOF"])


def scan_image(size=(620, 877), mode="L", seed=1):
    import random

    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    image = Image.new(mode, size, 235 if mode == "L" else (240, 236, 225) if mode == "RGB" else 1)
    draw = ImageDraw.Draw(image)
    ink = 30 if mode == "L" else (20, 20, 60) if mode == "RGB" else 0
    for y in range(80, size[1] - 80, 22):
        x = 60
        while x < size[0] - 60:
            word = rng.randint(12, 60)
            draw.rectangle([x, y, min(x + word, size[0] - 60), y + 9], fill=ink)
            x += word + 9
    return image


# --- variants -------------------------------------------------------------------------------------


def with_pikepdf(data: bytes, change=None, **save) -> bytes:
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        if change:
            change(pdf)
        out = io.BytesIO()
        pdf.save(out, **save)
        return out.getvalue()


def rotate(angle, pages=None):
    def change(pdf):
        for index, page in enumerate(pdf.pages):
            if pages is None or index in pages:
                page.obj.Rotate = angle

    return change


def move_origin(dx, dy, crop_inset=None):
    """Every page's content and boxes shifted by (dx, dy): a MediaBox that does not start at 0,0
    (and a CropBox inside it, if `crop_inset` is given)."""
    import pikepdf

    def change(pdf):
        for page in pdf.pages:
            x0, y0, x1, y1 = (float(v) for v in page.mediabox)
            page.contents_add(f"1 0 0 1 {dx} {dy} cm\n".encode(), prepend=True)
            page.obj.MediaBox = pikepdf.Array([x0 + dx, y0 + dy, x1 + dx, y1 + dy])
            if crop_inset is not None:
                i = crop_inset
                page.obj.CropBox = pikepdf.Array([x0 + dx + i, y0 + dy + i, x1 + dx - i, y1 + dy - i])

    return change


def crop(inset_x, inset_y):
    import pikepdf

    def change(pdf):
        for page in pdf.pages:
            x0, y0, x1, y1 = (float(v) for v in page.mediabox)
            page.obj.CropBox = pikepdf.Array([x0 + inset_x, y0 + inset_y, x1 - inset_x, y1 - inset_y])

    return change


def inverted_mediabox(pdf):
    import pikepdf

    for page in pdf.pages:
        x0, y0, x1, y1 = (float(v) for v in page.mediabox)
        page.obj.MediaBox = pikepdf.Array([x1, y1, x0, y0])


def inherited_boxes(pdf):
    """MediaBox, Rotate and Resources on the page tree, not on the pages."""
    first = pdf.pages[0].obj
    pdf.Root.Pages.MediaBox = first.MediaBox
    pdf.Root.Pages.Rotate = 90
    pdf.Root.Pages.Resources = first.Resources
    for page in pdf.pages:
        for key in ("/MediaBox", "/Resources"):
            if key in page.obj:
                del page.obj[key]


def split_contents(pdf):
    """Each page's content as an array of streams, cut between operators (as some writers do)."""
    import pikepdf

    for page in pdf.pages:
        data = page.obj.Contents.read_bytes()
        cut = data.find(b"\n", len(data) // 2) + 1
        page.obj.Contents = pikepdf.Array([pdf.make_stream(data[:cut]), pdf.make_stream(data[cut:])])


def existing_annotations(data: bytes) -> bytes:
    from pypdf import PdfReader, PdfWriter
    from pypdf.annotations import FreeText, Highlight, Line, Link, Text
    from pypdf.generic import ArrayObject, FloatObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.add_annotation(0, FreeText(text="Ý kiến của Bộ Tư pháp", rect=(300, 700, 520, 740)))
    writer.add_annotation(0, Text(text="Xem lại điều 5", rect=(60, 600, 80, 620), open=False))
    quad = ArrayObject([FloatObject(v) for v in (56, 780, 300, 780, 56, 760, 300, 760)])
    writer.add_annotation(0, Highlight(rect=(56, 760, 300, 780), quad_points=quad))
    writer.add_annotation(0, Line(p1=(60, 500), p2=(400, 520), rect=(50, 490, 410, 530)))
    if len(writer.pages) > 1:
        writer.add_annotation(0, Link(rect=(56, 400, 200, 420), target_page_index=1))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def incremental_update(data: bytes, note: str) -> bytes:
    """The file as it was with an update appended: a changed page and a new annotation."""
    from pypdf import PdfWriter
    from pypdf.annotations import Text

    writer = PdfWriter(io.BytesIO(data), incremental=True)
    writer.add_annotation(0, Text(text=note, rect=(500, 780, 520, 800)))
    writer.pages[-1].rotate(90)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def signed(data: bytes, times: int, folder: Path) -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    from ecabinet.common.signing import make_demo_certificate

    cert, key = make_demo_certificate(folder, "Bộ Tài chính (thử nghiệm)")
    signer = signers.SimpleSigner.load(str(key), str(cert))
    for number in range(1, times + 1):
        writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
        field = f"Signature{number}"
        fields.append_signature_field(
            writer,
            fields.SigFieldSpec(field, box=(56 + 200 * (number - 1), 40, 236 + 200 * (number - 1), 90)),
        )
        out = io.BytesIO()
        signers.sign_pdf(writer, signers.PdfSignatureMetadata(field_name=field), signer=signer, output=out)
        data = out.getvalue()
    return data


def broken_xref(data: bytes) -> bytes:
    """Bytes inserted after the header: every offset in the table is wrong, as in a file a mail
    gateway or an editor has mangled; readers rebuild the table by scanning."""
    end = data.index(b"\n", data.index(b"\n") + 1) + 1
    return data[:end] + b"% inserted by a broken gateway " + b"x" * 97 + b"\n" + data[end:]


def no_xref(data: bytes) -> bytes:
    """Cross-reference table and trailer cut off after the last object, startxref pointing nowhere."""
    at = data.rindex(b"xref")
    return data[:at] + b"trailer\n<< /Root 1 0 R >>\nstartxref\n999999\n%%EOF\n"


def ghostscript(data: bytes, *options: str) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        source, target = Path(folder) / "in", Path(folder) / "out.pdf"
        source.write_bytes(data)
        subprocess.run(
            [
                "gs",
                "-q",
                "-dNOPAUSE",
                "-dBATCH",
                "-dSAFER",
                "-sDEVICE=pdfwrite",
                *options,
                f"-sOutputFile={target}",
                str(source),
            ],
            check=True,
        )
        return target.read_bytes()


def img2pdf_scan(images, **layout) -> bytes:
    import img2pdf

    blobs = []
    for image, kind in images:
        out = io.BytesIO()
        if kind == "jpeg":
            image.save(out, "JPEG", quality=40, dpi=(75, 75))
        elif kind == "g4":
            image.convert("1").save(out, "TIFF", compression="group4", dpi=(75, 75))
        else:
            image.save(out, "PNG", dpi=(75, 75))
        blobs.append(out.getvalue())
    return img2pdf.convert(blobs, **layout)


def made() -> dict[str, tuple[bytes, str]]:
    """name -> (bytes, what it is)."""
    fpdf = fpdf_document(2)
    fpdf3 = fpdf_document(3)
    rl = reportlab_document(2)
    gs = ghostscript(fpdf)
    ps = postscript_document()
    files: dict[str, tuple[bytes, str]] = {}

    def add(name, data, what):
        files[name] = (data, what)

    add("fpdf2-vietnamese.pdf", fpdf, "fpdf2, Vietnamese text in embedded DejaVu subsets")
    add("fpdf2-mixed-sizes.pdf", _mixed_sizes(), "fpdf2, A4 portrait, A3 landscape and Letter pages")
    add("reportlab-plain.pdf", rl, "ReportLab, standard 14 fonts")
    add("reportlab-links-outline.pdf", reportlab_document(3, links=True), "ReportLab, web links, outline")
    add("reportlab-form.pdf", reportlab_document(1, form=True), "ReportLab, AcroForm text field and checkbox")
    add("reportlab-rotated-90.pdf", reportlab_document(2, rotate=90), "ReportLab, pages /Rotate 90")
    add("gs-from-fpdf2.pdf", gs, "Ghostscript pdfwrite of an fpdf2 file")
    add("gs-ebook.pdf", ghostscript(rl, "-dPDFSETTINGS=/ebook"), "Ghostscript pdfwrite /ebook of ReportLab")
    add("gs-postscript.pdf", ghostscript(ps), "Ghostscript distilling PostScript (a print driver's output)")
    add("gs-pdf14.pdf", ghostscript(ps, "-dCompatibilityLevel=1.4"), "Ghostscript, PDF 1.4")
    add("gs-pdfa.pdf", ghostscript(fpdf, "-dPDFA=2", "-dPDFACompatibilityPolicy=1"), "Ghostscript PDF/A-2")
    for angle in (90, 180, 270):
        add(f"rotated-{angle}.pdf", with_pikepdf(fpdf, rotate(angle)), f"fpdf2, every page /Rotate {angle}")
    add("rotated-mixed.pdf", with_pikepdf(fpdf3, rotate(90, pages={1})), "fpdf2, page 2 of 3 /Rotate 90")
    add("rotated-negative.pdf", with_pikepdf(fpdf, rotate(-90)), "fpdf2, /Rotate -90 (as 270)")
    add("origin-positive.pdf", with_pikepdf(fpdf, move_origin(100, 200)), "MediaBox from (100, 200)")
    add("origin-negative.pdf", with_pikepdf(fpdf, move_origin(-297.64, -420.94)), "MediaBox centred on 0,0")
    add(
        "origin-cropbox.pdf",
        with_pikepdf(fpdf, move_origin(50, 80, crop_inset=40)),
        "moved MediaBox, CropBox inside",
    )
    add("cropbox.pdf", with_pikepdf(rl, crop(60, 120)), "ReportLab, CropBox inside the MediaBox")
    add(
        "origin-rotated-90.pdf",
        with_pikepdf(fpdf, lambda pdf: (move_origin(100, 200, crop_inset=30)(pdf), rotate(90)(pdf))),
        "MediaBox from (100, 200), CropBox, /Rotate 90",
    )
    add(
        "origin-rotated-270.pdf",
        with_pikepdf(rl, lambda pdf: (move_origin(-50, 300)(pdf), rotate(270)(pdf))),
        "MediaBox from (-50, 300), /Rotate 270",
    )
    add("inverted-mediabox.pdf", with_pikepdf(fpdf, inverted_mediabox), "MediaBox written [x1 y1 x0 y0]")
    add("inherited-boxes.pdf", with_pikepdf(rl, inherited_boxes), "MediaBox, Rotate, Resources inherited")
    add("split-contents.pdf", with_pikepdf(rl, split_contents), "contents as arrays of streams")
    add("linearized-fpdf2.pdf", with_pikepdf(fpdf3, linearize=True), "qpdf linearized (fast web view)")
    add("linearized-reportlab.pdf", with_pikepdf(rl, linearize=True), "qpdf linearized")
    add("linearized-gs.pdf", with_pikepdf(gs, linearize=True), "qpdf linearized Ghostscript output")
    add("object-streams.pdf", with_pikepdf(fpdf3, object_stream_mode=_objstm()), "object and xref streams")
    add(
        "object-streams-rotated.pdf",
        with_pikepdf(rl, rotate(90), object_stream_mode=_objstm()),
        "object streams, /Rotate 90",
    )
    add("pdf-2.0.pdf", with_pikepdf(fpdf, force_version="2.0"), "PDF 2.0 header")
    add(
        "pdf-2.0-objstm.pdf",
        with_pikepdf(rl, force_version="2.0", object_stream_mode=_objstm()),
        "PDF 2.0 with object streams",
    )
    add("qdf.pdf", with_pikepdf(rl, qdf=True, compress_streams=False), "qpdf QDF (uncompressed, annotated)")
    add(
        "annotations-fpdf2.pdf",
        existing_annotations(fpdf),
        "FreeText, Text, Highlight, Line, Link annotations",
    )
    add(
        "annotations-rotated.pdf",
        existing_annotations(with_pikepdf(fpdf, rotate(90))),
        "annotations, /Rotate 90",
    )
    add(
        "incremental.pdf",
        incremental_update(fpdf3, "Sửa đổi lần 1"),
        "an incremental update (note, rotation)",
    )
    add(
        "incremental-twice.pdf",
        incremental_update(incremental_update(rl, "first"), "second"),
        "two incremental updates",
    )
    add(
        "incremental-objstm.pdf",
        incremental_update(with_pikepdf(fpdf, object_stream_mode=_objstm()), "update"),
        "an incremental update over object streams",
    )
    with tempfile.TemporaryDirectory() as folder:
        add("signed.pdf", signed(fpdf, 1, Path(folder)), "pyHanko PAdES signature (an incremental update)")
        add("signed-twice.pdf", signed(rl, 2, Path(folder)), "two pyHanko signatures, one after another")
        add(
            "signed-linearized.pdf",
            signed(with_pikepdf(fpdf3, linearize=True), 1, Path(folder)),
            "a signature over a linearized file",
        )
    add(
        "broken-xref-offsets.pdf",
        broken_xref(rl),
        "ReportLab with every xref offset wrong (repaired on read)",
    )
    add("broken-xref-fpdf2.pdf", broken_xref(fpdf), "fpdf2 with every xref offset wrong")
    add("missing-xref.pdf", no_xref(fpdf), "cross-reference table missing, startxref wrong")
    add(
        "scan-jpeg-gray.pdf",
        img2pdf_scan([(scan_image(), "jpeg"), (scan_image(seed=2), "jpeg")]),
        "img2pdf JPEG",
    )
    add("scan-jpeg-color.pdf", img2pdf_scan([(scan_image(mode="RGB"), "jpeg")]), "img2pdf colour JPEG scan")
    add(
        "scan-ccitt-g4.pdf",
        img2pdf_scan([(scan_image(mode="1"), "g4"), (scan_image(mode="1", seed=3), "g4")]),
        "img2pdf CCITT Group 4 (fax) scan",
    )
    add(
        "scan-landscape-rotated.pdf",
        with_pikepdf(img2pdf_scan([(scan_image(size=(877, 620)), "jpeg")]), rotate(90)),
        "img2pdf landscape JPEG scan turned with /Rotate 90",
    )
    add(
        "scan-png.pdf", img2pdf_scan([(scan_image(), "png")]), "img2pdf lossless scan (Flate, PNG predictors)"
    )
    return files


def _objstm():
    import pikepdf

    return pikepdf.ObjectStreamMode.generate


def _mixed_sizes() -> bytes:
    from ecabinet.common.pdfgen import new_document, to_bytes

    pdf = new_document()
    for size, orientation in (("A4", "P"), ("A3", "L"), ("Letter", "P")):
        pdf.add_page(format=size, orientation=orientation)
        pdf.set_font("Sans", "", 12)
        pdf.multi_cell(0, 16, f"{size} {orientation}: {VIETNAMESE}")
    return to_bytes(pdf)


def producer(data: bytes) -> str:
    import pikepdf

    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            info = pdf.docinfo
            parts = [str(info.get(key, "")) for key in ("/Producer", "/Creator")]
    except Exception:  # a repaired file pikepdf cannot open quietly
        return ""
    return " / ".join(dict.fromkeys(p.strip().replace("|", "/") for p in parts if p.strip()))[:70]


def main(src: Path) -> None:
    for old in HERE.glob("*.pdf"):
        old.unlink()
    rows = []
    for package, files in PUBLIC.items():
        note = PIKEPDF_NOTE if package == PIKEPDF else PYPDF_NOTE
        prefix = "pikepdf" if package == PIKEPDF else "pypdf"
        for path, licence in files:
            data = (src / package / path).read_bytes()
            # Named by the path below the sdist's resources folder (pikepdf has a jbig2.pdf in two).
            below = path.split("resources/", 1)[1]
            name = f"{prefix}-{below.replace('/', '-').replace(' ', '-')}"
            (HERE / name).write_bytes(data)
            rows.append((name, f"{note}: `{path}`", producer(data), licence))
    for name, (data, what) in made().items():
        (HERE / name).write_bytes(data)
        rows.append((name, what, producer(data), MADE))
    total = sum(p.stat().st_size for p in HERE.glob("*.pdf"))
    lines = [
        "# The PDF corpus",
        "",
        f"{len(rows)} PDFs ({total / 2**20:.1f} MiB) that every upload → copy → annotated.pdf → book path",
        "is tested on (tests/documents/test_documents_corpus.py). Public files come from the source distributions",
        "of pikepdf and pypdf on PyPI, with the licence their packages state; the rest were made by",
        "`build.py` here (which says how) and are CC0-1.0. `Producer / Creator` is what each file says",
        "made it. The encrypted files and the one without pages are the corpus's refusals",
        "(`REFUSED` in the test).",
        "",
        "| file | origin | Producer / Creator | licence |",
        "|---|---|---|---|",
    ]
    lines += [f"| {name} | {origin} | {made_by} | {licence} |" for name, origin, made_by, licence in rows]
    (HERE / "README.md").write_text("\n".join(lines) + "\n")
    print(f"{len(rows)} files, {total / 2**20:.1f} MiB")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
