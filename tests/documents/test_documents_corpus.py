"""Real-world PDFs (tests/corpus: scans, forms, signed, linearized, incrementally updated, rotated,
boxes away from 0,0, PDF 2.0, repaired cross-reference tables, from a dozen producers) through what a
member does with them: the upload, the watermarked copy, annotated.pdf and the meeting book.

Each copy must be a sound PDF (qpdf's check, through pikepdf), keep every page and its text (plus
the stamp, and what its form fields show, drawn into the page), look like its source (pdfium renders both; only the 14 %-opaque watermark may change a
pixel, and it cannot change one by more than `pdf_views.STAMP_SHADE`), and put a member's highlight where the
member drew it, whatever the page's rotation and boxes.
"""

from __future__ import annotations

import io
import re
import warnings
from pathlib import Path

import pikepdf
import pytest

from tests import pdf_views as views
from tests.helpers import assert_error, ok
from tests.pdfs import CORPUS, upload

# What the corpus holds that is refused, and with which answer.
REFUSED = {
    "pikepdf-form_dd0293.pdf": (415, "encrypted_pdf"),  # AES-128 with an empty user password
    "pypdf-crazyones-encrypted-256.pdf": (415, "encrypted_pdf"),  # AES-256
    "pypdf-libreoffice-writer-password.pdf": (415, "encrypted_pdf"),  # as LibreOffice protects a file
    "pypdf-encryption-r2-empty-password.pdf": (415, "encrypted_pdf"),  # RC4 40-bit, no password to open
    "pypdf-encryption-r6-user-password.pdf": (415, "encrypted_pdf"),  # AES-256, revision 6
    "pikepdf-newline-buffer-test.pdf": (415, "empty_pdf"),  # a page tree without pages
}
PAPERS = sorted(p for p in CORPUS.glob("*.pdf") if p.name not in REFUSED)
HIGHLIGHT = "#00FF00"


@pytest.mark.slow
def test_every_corpus_paper_survives_upload_copy_annotation_and_book(app, cabinet):
    meeting = cabinet.meeting("published", watermark="all")
    sec, member = cabinet.api(cabinet.secretariat), cabinet.api(cabinet.members[0])
    name = cabinet.members[0].full_name
    failures: dict[str, list[str]] = {}
    documents = []
    item = cabinet.item(meeting["id"], "Tài liệu các bộ gửi")
    for path in PAPERS:
        data = path.read_bytes()
        response = upload(sec, item["id"], data, filename=path.name, title=path.stem)
        if response.status_code != 201:
            failures[path.name] = [f"upload: {response.status_code} {response.get_json()}"]
            continue
        documents.append((path, data, response.get_json()))

    for path, source, document in documents:
        problems = failures.setdefault(path.name, [])
        try:
            _check_paper(member, name, source, document, problems)
        except Exception as error:  # noqa: BLE001 — one paper's crash is reported with the others'
            problems.append(f"{type(error).__name__}: {error}")

    book = member.get(f"/meetings/{meeting['id']}/book.pdf")
    assert book.status_code == 200
    with pikepdf.open(io.BytesIO(book.data)) as pdf:
        assert len(pdf.pages) == 2 + sum(document["version"]["page_count"] for _, _, document in documents)
    book_problems = views.problems(book.data) - set().union(
        *(views.problems(source) for _, source, _ in documents)
    )
    assert not book_problems
    failures = {name: found for name, found in failures.items() if found}
    assert not failures, "\n".join(f"{name}: {'; '.join(found)}" for name, found in failures.items())


def _check_paper(member, name: str, source: bytes, document: dict, problems: list[str]) -> None:
    copy = member.get(f"/documents/{document['id']}/file")
    if copy.status_code != 200:
        problems.append(f"copy: {copy.status_code}")
        return
    with pikepdf.open(io.BytesIO(source)) as pdf:
        pages = len(pdf.pages)
        first = pdf.pages[0]
        box, rotate = views.visible(first), int(first.obj.get("/Rotate", 0))
    new_problems = views.problems(copy.data) - views.problems(source)
    if new_problems:
        problems.append(f"qpdf check: {sorted(new_problems)[:3]}")
    # A copy carries no form (documents.sanitize): what the fields show is drawn into the page.
    shown = views.with_fields_drawn(views.without_what_acts(source))
    texts, copy_texts = views.texts(shown), views.texts(copy.data)
    if len(copy_texts) != pages:
        problems.append(f"pages: {pages} -> {len(copy_texts)}")
    stamp = re.compile(r"\s*Bản của " + re.escape(name) + r" — \d\d/\d\d/\d{4} \d\d:\d\d\s*")
    for number, (text, copied) in enumerate(zip(texts, copy_texts, strict=False), start=1):
        # pdfium makes up the spaces and line breaks between words from where the glyphs stand, and
        # chooses between the two otherwise where a page's content is drawn as a form (documents.
        # stamping): `{3,−3}` in the source, `{3, −3}` in the copy. The characters must be the same.
        if not stamp.search(copied) or _glyphs(stamp.sub(" ", copied)) != _glyphs(text):
            problems.append(f"text of page {number}: {text[:60]!r} -> {copied[:80]!r}")
            break
    before, after = views.render(shown, box), views.render(copy.data, box)
    if before.size != after.size:
        problems.append(f"rendered size {before.size} -> {after.size}")
    else:
        _, moved = views.changed(before, after)
        if moved:
            problems.append(f"copy looks different from its source in {moved}")

    # A highlight across the middle of the visible page, in the page's own user space.
    x0, y0, x1, y1 = box
    rect = [x0 + (x1 - x0) * 0.25, y0 + (y1 - y0) * 0.55, x0 + (x1 - x0) * 0.6, y0 + (y1 - y0) * 0.65]
    note = member.post(
        f"/documents/{document['id']}/annotations",
        json={"version": 1, "page": 1, "kind": "highlight", "rects": [rect], "color": HIGHLIGHT},
    )
    if note.status_code != 201:
        problems.append(f"annotation: {note.status_code} {note.get_json()}")
        return
    annotated = member.get(f"/documents/{document['id']}/annotated.pdf")
    if annotated.status_code != 200:
        problems.append(f"annotated.pdf: {annotated.status_code}")
        return
    if views.problems(annotated.data) - views.problems(source):
        problems.append("annotated.pdf fails qpdf's check")
    blank = views.render(_only_ours(annotated.data, blank=True), box)
    _, drawn = views.changed(blank, views.render(_only_ours(annotated.data), box))
    corners = [views.to_pixels(box, rotate, x, y) for x, y in ((rect[0], rect[1]), (rect[2], rect[3]))]
    expected = (
        min(c[0] for c in corners),
        min(c[1] for c in corners),
        max(c[0] for c in corners),
        max(c[1] for c in corners),
    )
    # Where the page is white under it, the highlight shows as the rectangle drawn; dark content
    # under part of it (which a highlight does not change) may leave an edge unmarked.
    if drawn is None or not _placed(drawn, expected):
        problems.append(f"highlight drawn at {drawn}, expected {tuple(round(v) for v in expected)}")


def _glyphs(text: str) -> str:
    return "".join(text.split())


def _placed(drawn, expected, slack: float = 2) -> bool:
    """Whether the drawn box is the expected one, give or take rounding."""
    return all(abs(d - e) <= slack for d, e in zip(drawn, expected, strict=True))


def _only_ours(data: bytes, blank: bool = False) -> bytes:
    """The first page empty but for the member's own annotations (none if `blank`): what they draw,
    on the page as it is turned and cropped."""
    with pikepdf.open(io.BytesIO(data)) as pdf, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        page = pdf.pages[0].obj
        page.Contents = pdf.make_stream(b"")
        page.Annots = pikepdf.Array(
            a
            for a in page.get("/Annots", [])
            if not blank and str(a.get("/NM", "")).startswith("ecabinet-annotation-")
        )
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()


# Papers cut short (a transfer that broke off) at a third and two thirds of their bytes.
CUT_SHORT = [
    (f"{name} cut at {share:.0%}", name, share)
    for name in ("gs-postscript.pdf", "pypdf-crazyones.pdf", "scan-jpeg-gray.pdf", "signed.pdf")
    for share in (0.33, 0.67)
]


@pytest.mark.parametrize(
    ("name", "share", "answer"),
    [(name, 1.0, answer) for name, answer in sorted(REFUSED.items())]
    + [pytest.param(name, share, (415, "broken_pdf"), id=label) for label, name, share in CUT_SHORT],
)
def test_corpus_papers_that_cannot_be_read_are_refused_and_leave_nothing(app, cabinet, name, share, answer):
    data = (CORPUS / name).read_bytes()
    meeting = cabinet.meeting("published")
    item = cabinet.item(meeting["id"])
    assert_error(
        upload(cabinet.api(cabinet.secretariat), item["id"], data[: int(len(data) * share)]), *answer
    )
    root = Path(app.config["ECABINET_STORAGE"])
    assert [p for p in root.rglob("*") if p.is_file()] == []
    assert (
        ok(cabinet.api(cabinet.secretariat).get(f"/meetings/{meeting['id']}"))["agenda"][0]["documents"] == []
    )
