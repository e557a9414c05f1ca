"""The watermarked copy on the PDF corpus (tests/corpus): ecabinet's byte copier beside pikepdf (qpdf)
doing the same work, for correctness and CPU time.

    .venv/bin/python bench/corpus.py [--quick]

For every paper the corpus test accepts, each writer stamps the same watermark (ecabinet's overlay)
on every page: ecabinet through `documents.exports._safe_copy` (sanitised, as members get it),
pikepdf through `Page.add_overlay` of one shared Form XObject (the library's way, which also turns
the stamp with the page). Each output is judged as the corpus test judges a copy: qpdf finds no new
kind of problem, the page count, each page's text less the stamp, the first page rendered by pdfium
against the source's (no pixel moved beyond what the 14 %-opaque stamp can), the source's form fields
drawn into its pages (qpdf's flattening) since a member's copy carries no form. pikepdf's copy keeps
the form and leaves the fields to the viewer, which pdfium without the form does not draw: it misses
the papers whose fields show something. CPU time (user +
system) is the writer's alone, summed over the corpus; --quick takes every fifth paper.
"""

from __future__ import annotations

import argparse
import io
import re
import tempfile
import time
import warnings
from pathlib import Path

import harness  # noqa: F401 — before ecabinet: a temporary instance folder

from tests import pdf_views as views
from tests.documents.test_documents_corpus import PAPERS

WATERMARK = "Bản của Bộ trưởng Số 1 — 25/11/2026 10:00"
STAMP = re.compile(r"\s*" + re.escape(WATERMARK) + r"\s*")


def ecabinet_copy(path: Path, folder: Path) -> bytes:
    from ecabinet.documents.exports import _safe_copy

    target = folder / "ecabinet.pdf"
    _safe_copy(path, WATERMARK, target)  # a job called directly runs in place
    return target.read_bytes()


def pikepdf_copy(path: Path, folder: Path) -> bytes:
    import pikepdf
    from pikepdf import Page

    from ecabinet.documents.stamping import _overlay_pdf

    target = folder / "pikepdf.pdf"
    with pikepdf.open(path) as pdf, pikepdf.open(io.BytesIO(_overlay_pdf(WATERMARK))) as overlay:
        form = pdf.copy_foreign(Page(overlay.pages[0]).as_form_xobject())
        for page in pdf.pages:
            page.add_overlay(form)
        pdf.save(target)
    return target.read_bytes()


def judge(source: bytes, copy: bytes) -> list[str]:
    """What is wrong with a copy, in the corpus test's terms."""
    found = []
    if views.problems(copy) - views.problems(source):
        found.append("qpdf")
    # As the corpus test: the source with its form fields drawn in (a copy carries no form), its
    # characters compared (pdfium makes up the white space between them).
    shown = views.with_fields_drawn(views.without_what_acts(source))
    texts, copied = views.texts(shown), views.texts(copy)
    if len(texts) != len(copied):
        found.append("pages")
    elif any(
        not STAMP.search(after) or "".join(STAMP.sub(" ", after).split()) != "".join(before.split())
        for before, after in zip(texts, copied, strict=True)
    ):
        found.append("text")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pikepdf

        with pikepdf.open(io.BytesIO(source)) as pdf:
            box = views.visible(pdf.pages[0])
    before, after = views.render(shown, box), views.render(copy, box)
    if before.size != after.size or views.changed(before, after)[1]:
        found.append("render")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="every fifth paper: a check that it works")
    args = parser.parse_args()
    papers = PAPERS[::5] if args.quick else PAPERS
    harness.print_machine({"papers": str(len(papers))})
    from ecabinet.documents.stamping import _overlay_pdf

    _overlay_pdf(WATERMARK)  # both writers stamp this overlay: made once, before either clock runs
    writers = {"ecabinet": ecabinet_copy, "pikepdf": pikepdf_copy}
    cpu = dict.fromkeys(writers, 0.0)
    good = dict.fromkeys(writers, 0)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        # The copier keeps what it makes on the way (a form's fields drawn) beside the copies: an app's storage.
        app = harness.make_app(f"sqlite:///{folder}/ecabinet.db", f"{folder}/storage")
        with app.app_context():
            for path in papers:
                source = path.read_bytes()
                verdicts = {}
                for name, write in writers.items():
                    started = time.process_time()
                    try:
                        with warnings.catch_warnings():
                            warnings.simplefilter("ignore")
                            copy = write(path, Path(folder))
                    except Exception as error:  # noqa: BLE001 — a writer that fails on a paper is a finding
                        cpu[name] += time.process_time() - started
                        verdicts[name] = [f"failed: {type(error).__name__}"]
                        continue
                    cpu[name] += time.process_time() - started
                    verdicts[name] = judge(source, copy)
                    good[name] += not verdicts[name]
                if any(verdicts.values()):
                    rows.append((path.name, verdicts))
    print(f"\n## the watermarked copy on {len(papers)} corpus papers\n")
    print("| writer | papers copied right | CPU, all papers |")
    print("|---|---|---|")
    for name in writers:
        print(f"| {name} | {good[name]} of {len(papers)} | {cpu[name]:.2f} s |")
    print("\n| paper | " + " | ".join(writers) + " |")
    print("|---|" + "---|" * len(writers))
    for paper, verdicts in rows:
        print(f"| {paper} | " + " | ".join(", ".join(verdicts[n]) or "ok" for n in writers) + " |")


if __name__ == "__main__":
    main()
