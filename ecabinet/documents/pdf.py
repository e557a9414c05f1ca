"""Checking that an upload is a PDF a member's tablet can open, and reading its text."""

from __future__ import annotations

import logging
import unicodedata
from pathlib import Path

from pypdf import PageObject, PdfReader
from pypdf.errors import LimitReachedError, PdfReadError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject

from ecabinet.common import jobs
from ecabinet.errors import NotPdf, TooLarge

# pypdf reports recoverable damage through logging; we judge the file ourselves.
logging.getLogger("pypdf").setLevel(logging.ERROR)


@jobs.job
def check_pdf(path: Path, head: bytes, max_pages: int) -> list[list[float]]:
    """Each page's media box (left, bottom, right, top) of a readable, unencrypted PDF of at most `max_pages` pages; otherwise
    NotPdf saying what is wrong, or TooLarge."""
    if b"%PDF-" not in head[:1024]:
        raise NotPdf("The file is not a PDF", code="not_pdf")
    try:
        with PdfReader(path, strict=False) as reader:
            if reader.is_encrypted:
                raise NotPdf(
                    "The PDF is encrypted (password-protected); upload an unprotected copy",
                    code="encrypted_pdf",
                )
            # The page tree says how many pages it holds: a file of a million pages is refused before
            # a single page is read; should the count understate them, it is refused once one more
            # page than allowed is counted (pypdf would read every page before it says how many).
            _check_page_count(_declared_page_count(reader), max_pages)
            _check_page_count(_counted_pages(reader, max_pages + 1), max_pages)
            boxes = [list(media_box(page)) for page in reader.pages[: max_pages + 1]]
            _check_page_count(len(boxes), max_pages)
            # Every page's content and the forms it draws are read (and inflated, within pypdf's
            # bound): a PDF whose body is broken fails here, not on a tablet, and a deflate bomb on its
            # last page or in a form is refused as one on its first (which reached every member's copy).
            for page in reader.pages:
                _inflate_drawing(page)
    except (NotPdf, TooLarge):
        raise
    except LimitReachedError:
        # A deflate bomb: a few kilobytes that inflate to gigabytes in whoever opens them.
        raise NotPdf("The PDF's content inflates past any sane size", code="pdf_bomb") from None
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError) as exc:
        raise NotPdf(f"The PDF is damaged and cannot be read ({type(exc).__name__})", code="broken_pdf")
    if not boxes:
        raise NotPdf("The PDF has no pages: there is nothing to read", code="empty_pdf")
    return boxes


def _inflate_drawing(page: PageObject) -> None:
    """What the page draws, inflated: its content and its form XObjects (images are left: a scan may
    rightly inflate to more than the bound, and a viewer reads no more of one than its size says)."""
    page.get_contents()
    resources = page.get("/Resources")
    xobjects = resources.get_object().get("/XObject") if resources is not None else None
    for xobject in xobjects.get_object().values() if xobjects is not None else ():
        xobject = xobject.get_object()
        if isinstance(xobject, StreamObject) and xobject.get("/Subtype") == "/Form":
            xobject.get_data()


def _declared_page_count(reader: PdfReader) -> int:
    count = reader.root_object["/Pages"].get_object().get("/Count", 0)
    return count if isinstance(count, int) else 0


def _counted_pages(reader: PdfReader, limit: int) -> int:
    """The pages the page tree holds, counted leaf by leaf, up to `limit`: 100,000 pages under a /Count
    of 1 cost a job worker 1.2 s of CPU instead of the 6.4 s pypdf takes to read them all."""
    count, pending, seen = 0, [reader.root_object.raw_get("/Pages")], set()
    while pending and count < limit:
        node = pending.pop()
        if isinstance(node, IndirectObject):
            if (node.idnum, node.generation) in seen:
                continue  # a tree that loops is counted once around
            seen.add((node.idnum, node.generation))
        node = node.get_object()
        if not isinstance(node, DictionaryObject):
            continue
        kids = node.get("/Kids")
        if isinstance(kids, ArrayObject):
            pending.extend(reversed(kids))
        elif "/Kids" not in node:
            count += 1
    return count


def _check_page_count(pages: int, max_pages: int) -> None:
    if pages > max_pages:
        raise TooLarge(f"The PDF has more than {max_pages} pages", code="too_many_pages")


LETTER = (0.0, 0.0, 612.0, 792.0)  # what viewers show a page that has no media box as


def media_box(page: PageObject) -> tuple[float, float, float, float]:
    """The page's media box (left, bottom, right, top); US Letter where the file has none (as viewers do)."""
    try:
        return normal_box(page.mediabox)
    except ValueError:
        return LETTER


def visible_box(page: PageObject, media: tuple[float, float, float, float] | None = None):
    """What a viewer shows of the page: the crop box (the media box by default) within the media box
    (`media`, when the caller has it already)."""
    mx0, my0, mx1, my1 = media or media_box(page)
    if "/CropBox" not in page:
        return mx0, my0, mx1, my1
    try:
        cx0, cy0, cx1, cy1 = normal_box(page.cropbox)
    except ValueError:
        return mx0, my0, mx1, my1
    box = max(mx0, cx0), max(my0, cy0), min(mx1, cx1), min(my1, cy1)
    return box if box[0] < box[2] and box[1] < box[3] else (mx0, my0, mx1, my1)


def normal_box(box) -> tuple[float, float, float, float]:
    """A rectangle as (left, bottom, right, top), whichever corners the file wrote it with."""
    x0, y0, x1, y1 = (float(v) for v in box)
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def fold(text: str) -> str:
    """Lower case without accents, so 'dat dai' finds 'Đất đai'."""
    text = text.replace("Đ", "D").replace("đ", "d")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def extract_pages(path: Path) -> list[str]:
    texts = []
    with PdfReader(path, strict=False) as reader:
        for page in reader.pages:
            try:
                texts.append(unicodedata.normalize("NFC", page.extract_text() or ""))
            except Exception:  # one unreadable page must not cost the rest of the document its search
                texts.append("")
    return texts


def clean_filename(name: str | None) -> str | None:
    """Keep a display name: no folders, no control characters, Vietnamese intact."""
    if not name:
        return None
    name = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip().lstrip(".")
    return name[:255] or None
