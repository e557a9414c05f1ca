"""Checking that an upload is a PDF a member's tablet can open, and reading its text."""

from __future__ import annotations

import logging
import unicodedata
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import LimitReachedError, PdfReadError

from ecabinet.common import jobs
from ecabinet.errors import NotPdf, TooLarge

# pypdf reports recoverable damage through logging; we judge the file ourselves.
logging.getLogger("pypdf").setLevel(logging.ERROR)


@jobs.job
def check_pdf(path: Path, head: bytes, max_pages: int) -> list[list[float]]:
    """Each page's media box of a readable, unencrypted PDF of at most `max_pages` pages; otherwise
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
            # a single page is read (and again after, should the count have understated them).
            _check_page_count(_declared_page_count(reader), max_pages)
            boxes = [[float(v) for v in page.mediabox] for page in reader.pages[: max_pages + 1]]
            _check_page_count(len(boxes), max_pages)
            if boxes:
                # Touch the first page's content: a PDF whose body is broken fails here, not on a tablet.
                reader.pages[0].get_contents()
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


def _declared_page_count(reader: PdfReader) -> int:
    count = reader.root_object["/Pages"].get_object().get("/Count", 0)
    return count if isinstance(count, int) else 0


def _check_page_count(pages: int, max_pages: int) -> None:
    if pages > max_pages:
        raise TooLarge(f"The PDF has more than {max_pages} pages", code="too_many_pages")


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
