"""A member's copy of a filled-in form whose fields carry values but no appearance.

    .venv/bin/python bench/form_fields.py [--quick] [--fields 200] [--pages 20] [--rounds 5]

A program that fills forms may store only the values and ask viewers to draw them (/NeedAppearances):
the copy then has qpdf draw those it can (documents.fields) and draws the rest, Vietnamese values, in
the bundled font (documents.stamping). The form here has `--fields` text fields, each holding a
Vietnamese name, spread over `--pages` pages. Each round makes one member's watermarked copy
(`exports._safe_copy`, as the job worker does) with the generated files and the drawn values'
in-process cache emptied, timed in CPU seconds of this process: the median and the spread.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import harness

from tests.pdfs import handmade_pdf


def form(fields: int, pages: int) -> bytes:
    """`fields` value-only text fields over `pages` pages, the form asking viewers to draw them."""
    per_page = -(-fields // pages)
    objects: dict[int, bytes] = {}
    page_numbers, field_numbers = [], []
    number = 5  # 1 catalog, 2 page tree, 3 font, 4 the pages' content
    content = b"BT /F1 12 Tf 40 800 Td (Phieu dang ky) Tj ET"
    for page in range(pages):
        page_number, widgets = number, []
        number += 1
        for row in range(min(per_page, fields - page * per_page)):
            name = f"Nguyễn Văn Thành viên {page * per_page + row + 1}"
            value = b"<FEFF" + name.encode("utf-16-be").hex().upper().encode() + b">"
            y = 760 - row * 24
            objects[number] = (
                b"<< /Type /Annot /Subtype /Widget /FT /Tx /T (f%d) /V %s /DA (/Helv 10 Tf 0 g)"
                b" /Rect [60 %d 400 %d] /P %d 0 R >>" % (number, value, y, y + 18, page_number)
            )
            widgets.append(number)
            number += 1
        annots = b" ".join(b"%d 0 R" % w for w in widgets)
        objects[page_number] = (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >>"
            b" /Contents 4 0 R /Annots [%s] >>" % annots
        )
        page_numbers.append(page_number)
        field_numbers += widgets
    objects[1] = b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [%s] /NeedAppearances true >> >>" % (
        b" ".join(b"%d 0 R" % f for f in field_numbers)
    )
    objects[2] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % p for p in page_numbers),
        pages,
    )
    objects[3] = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    objects[4] = b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content)
    return handmade_pdf(dict(sorted(objects.items())))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--fields", type=int, default=200)
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--quick", action="store_true", help="20 fields on 2 pages, 2 rounds: a check that it works"
    )
    args = parser.parse_args()
    if args.quick:
        args.fields, args.pages, args.rounds = 20, 2, 2
    harness.print_machine({"fields": str(args.fields), "pages": str(args.pages)})
    from ecabinet.documents import stamping
    from ecabinet.documents.exports import _safe_copy

    # What a job worker keeps between copies: emptied each round, so that each is a first copy.
    drawn = getattr(stamping, "_values_pdf", None) or getattr(stamping, "_value_pdf", None)

    with tempfile.TemporaryDirectory() as folder:
        app = harness.make_app(f"sqlite:///{folder}/ecabinet.db", f"{folder}/storage")
        source = Path(folder) / "form.pdf"
        source.write_bytes(form(args.fields, args.pages))
        cpu = []
        with app.app_context():
            for round_ in range(args.rounds):
                shutil.rmtree(Path(folder) / "storage" / "cache", ignore_errors=True)
                (Path(folder) / "storage" / "cache").mkdir(parents=True)
                if drawn is not None:
                    drawn.cache_clear()
                started = time.process_time()
                _safe_copy(
                    source, f"Bản của Bộ trưởng Số {round_ + 1} — 07/12/2026 10:00", Path(folder) / "copy.pdf"
                )
                cpu.append(time.process_time() - started)
    print(f"\n## one watermarked copy of a form with {args.fields} value-only fields on {args.pages} pages\n")
    print(
        f"CPU: median {statistics.median(cpu):.2f} s, min {min(cpu):.2f} s, max {max(cpu):.2f} s ({len(cpu)} rounds)"
    )


if __name__ == "__main__":
    main()
