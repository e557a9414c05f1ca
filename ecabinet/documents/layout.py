"""Where the words of a PDF sit: each version's text as one searchable string, mapped back to the
characters on its pages and their boxes in PDF points.

PDFium's text layer (pypdfium2) places every character as a viewer draws it, kerning and word spacing
included, and reads a 300-page version in a fraction of a second; pypdf's text visitor gives only
where each run of text starts. The searchable string is the pages' text in NFC, lower case, without
any white space, so that a sentence is found again however the new version breaks its lines and
whichever way the tablet composed the Vietnamese letters of a quote.

PDFium is not thread-safe: a `Layout` is made, used and closed by one job at a time.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from dataclasses import dataclass
from itertools import compress, count
from operator import not_
from pathlib import Path

import pypdfium2 as pdfium

Rect = tuple[float, float, float, float]  # x0, y0, x1, y1 in PDF points, origin bottom-left
OPEN_PAGES = 16


def searchable(text: str) -> str:
    """The form in which text is compared: NFC, lower case, no white space."""
    return "".join(unicodedata.normalize("NFC", text).lower().split())


# PDFium's own marks for line breaks and soft hyphens count as white space.
_BREAKS = str.maketrans({"\x00": " ", "\x02": " ", "\ufffe": " "})
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def _searchable_with_origins(raw: str) -> tuple[str, list[int]]:
    """`searchable(raw)`, and for each of its characters the index of the character of `raw` it came from."""
    lowered = raw.translate(_BREAKS).lower()
    if len(lowered) == len(raw) and not _COMBINING.search(raw):
        # Precomposed letters, as most PDFs have them: the same in C's time (a 300-page version's
        # characters one by one in Python took a second).
        return "".join(lowered.split()), list(compress(count(), map(not_, map(str.isspace, lowered))))
    kept: list[str] = []
    origins: list[int] = []
    for i, c in enumerate(raw):
        if c.isspace() or c in "\x00\x02\ufffe":
            continue
        if kept and unicodedata.combining(c):
            # A letter drawn as base + accent is the same letter as the precomposed one.
            composed = unicodedata.normalize("NFC", kept[-1] + c)
            if len(composed) == 1:
                kept[-1] = composed
                continue
        lower = c.lower()
        kept.append(lower if len(lower) == 1 else c)
        origins.append(i)
    return "".join(kept), origins


@dataclass
class Line:
    """A line of text on a page: its box, and its characters in the searchable string [start, end)."""

    box: Rect
    start: int
    end: int


class Layout:
    """One version's text with positions. `text` is the whole document's searchable string; an
    offset into it names a character on a page."""

    def __init__(self, path: Path):
        self._pdf = pdfium.PdfDocument(str(path))
        # A page's characters take PDFium some 200 KB: only the pages in use stay open (a 5,000-page
        # version would hold a gigabyte). Annotations are placed in page order, so few are reopened.
        self._open: OrderedDict[int, tuple] = OrderedDict()
        self._origins: list[list[int]] = []
        self.page_starts: list[int] = []  # the offset of each page's first character in `text`
        self.page_sizes: list[tuple[float, float]] = []
        parts, length = [], 0
        for index in range(len(self._pdf)):
            page = self._pdf[index]
            textpage = page.get_textpage()
            raw = textpage.get_text_range()
            if len(raw) != textpage.count_chars():
                # PDFium handed back text that does not line up with its characters (rare); the page
                # is then treated as having no text rather than placing marks beside their words.
                raw = ""
            text, origins = _searchable_with_origins(raw)
            self.page_sizes.append(page.get_size())
            textpage.close()
            page.close()
            self._origins.append(origins)
            self.page_starts.append(length)
            parts.append(text)
            length += len(text)
        self.text = "".join(parts)
        self._lines: dict[int, list[Line]] = {}

    def _textpage(self, index: int):
        if index in self._open:
            self._open.move_to_end(index)
        else:
            page = self._pdf[index]
            self._open[index] = (page, page.get_textpage())
            if len(self._open) > OPEN_PAGES:
                _, (old_page, old_textpage) = self._open.popitem(last=False)
                old_textpage.close()
                old_page.close()
        return self._open[index][1]

    def close(self) -> None:
        self._pdf.close()  # closes its pages and text pages with it

    def __enter__(self) -> Layout:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def page_count(self) -> int:
        return len(self._origins)

    def page_of(self, offset: int) -> int:
        """The 0-based page holding the character at `offset`."""
        return bisect_right(self.page_starts, offset) - 1

    def page_span(self, page: int) -> tuple[int, int]:
        end = self.page_starts[page + 1] if page + 1 < len(self.page_starts) else len(self.text)
        return self.page_starts[page], end

    def find_all(self, needle: str, start: int = 0, end: int | None = None, most: int = 200) -> list[int]:
        """Offsets where `needle` starts in `text[start:end]`, at most `most` of them."""
        found, end = [], len(self.text) if end is None else end
        at = self.text.find(needle, start, end)
        while at >= 0 and len(found) < most:
            found.append(at)
            at = self.text.find(needle, at + 1, end)
        return found

    def _char(self, offset: int) -> tuple[int, int]:
        page = self.page_of(offset)
        return page, self._origins[page][offset - self.page_starts[page]]

    def _offset(self, page: int, char: int, after: bool = True) -> int:
        """The searchable character at PDFium's character `char` of `page`, or the nearest one after it
        (before it: `after=False`) where `char` is white space."""
        origins = self._origins[page]
        at = bisect_left(origins, char) if after else bisect_right(origins, char) - 1
        return self.page_starts[page] + min(max(at, 0), len(origins) - 1)

    def char_box(self, offset: int) -> tuple[int, Rect]:
        page, char = self._char(offset)
        return page, self._textpage(page).get_charbox(char)

    def boxes(self, start: int, end: int) -> list[tuple[int, list[Rect]]]:
        """The line boxes covering the characters [start, end), page by page."""
        out = []
        while start < end:
            page = self.page_of(start)
            stop = min(end, self.page_span(page)[1])
            first, last = self._char(start)[1], self._char(stop - 1)[1]
            textpage = self._textpage(page)
            count = textpage.count_rects(first, last - first + 1)
            out.append((page, [textpage.get_rect(i) for i in range(count)]))
            start = stop
        return out

    def under(self, page: int, rects: list[Rect]) -> tuple[int, int] | None:
        """The characters [start, end) that the rectangles cover on `page`, as far as their first and
        last character tell: a highlight's rectangles run along its lines, first to last."""
        textpage, found = self._textpage(page), []
        if not self._origins[page]:
            return None
        for x0, y0, x1, y1 in rects:
            middle, half = (y0 + y1) / 2, max((y1 - y0) / 2, 1.0)
            # A rectangle's ends may stand a little off its first and last letters: step inwards.
            steps = [min(step, (x1 - x0) / 2) for step in (1.0, 4.0, 8.0)]
            for edge in ([x0 + s for s in steps], [x1 - s for s in steps]):
                char = next(
                    (c for x in edge if (c := textpage.get_index(x, middle, 2.0, half)) is not None), None
                )
                if char is not None:
                    found.append(char)
        if not found:
            return None
        start, last = self._offset(page, min(found)), self._offset(page, max(found), after=False)
        return start, last + 1

    def lines(self, page: int) -> list[Line]:
        """The page's lines of text (PDFium's segments), with their characters."""
        if page not in self._lines:
            textpage, lines = self._textpage(page), []
            if self._origins[page]:
                for i in range(textpage.count_rects()):
                    x0, y0, x1, y1 = box = textpage.get_rect(i)
                    middle, half = (y0 + y1) / 2, max((y1 - y0) / 2, 1.0)
                    first = textpage.get_index(x0 + 0.5, middle, 1.0, half)
                    last = textpage.get_index(x1 - 0.5, middle, 1.0, half)
                    if first is not None and last is not None and last >= first:
                        lines.append(
                            Line(box, self._offset(page, first), self._offset(page, last, after=False) + 1)
                        )
            self._lines[page] = lines
        return self._lines[page]
