"""What members download: documents (watermarked where the meeting says so) and the meeting book.

Every generated file is cached under ECABINET_STORAGE/cache by a key made of what it contains (the
content hashes of the versions, the titles, who it is stamped for), so a repeat request is a file
read, and any change to the content makes a new key.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO
from zoneinfo import ZoneInfo

from flask import current_app
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject, TextStringObject

from ecabinet.audit import service as audit
from ecabinet.auth.models import User
from ecabinet.common.pdfgen import new_document, to_bytes
from ecabinet.common.serving import off_loop
from ecabinet.common.time import utcnow
from ecabinet.documents import service
from ecabinet.documents.assembly import Assembler, Bookmark
from ecabinet.documents.models import DocumentVersion
from ecabinet.documents.sanitize import acts, catalog_entries, clean_page
from ecabinet.documents.stamping import Stamper
from ecabinet.errors import Forbidden
from ecabinet.meetings import access
from ecabinet.meetings import service as meetings
from ecabinet.meetings.models import AgendaItem, Meeting

CACHE_FORMAT = "2"  # bump when what generated files hold changes (2: nothing that acts, sanitize.py)
VN = ZoneInfo("Asia/Ho_Chi_Minh")


def _cache_dir() -> Path:
    path = Path(current_app.config["ECABINET_STORAGE"]) / "cache"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _cache_key(*parts) -> str:
    return hashlib.sha256(
        json.dumps([CACHE_FORMAT, *parts], ensure_ascii=False, default=str).encode()
    ).hexdigest()


@contextmanager
def _atomic_output(path: Path) -> Iterator[BinaryIO]:
    """A file that appears at `path` whole, or not at all."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".part")
    try:
        with os.fdopen(fd, "wb", buffering=1 << 20) as out:
            yield out
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def watermark_text(user: User, when: datetime | None = None) -> str:
    when = (when or utcnow()).astimezone(VN)
    return f"Bản của {user.full_name} — {when:%d/%m/%Y %H:%M}"


def needs_watermark(meeting: Meeting, item: AgendaItem) -> bool:
    policy = meeting.watermark
    return policy == "all" or (policy == "confidential" and access.is_confidential(item))


def download_for(user: User, version: DocumentVersion, new_download: bool = True) -> Path:
    """The file to send this user: the stored PDF, or a copy stamped with their name.

    `new_download` is False for the follow-up byte ranges a viewer fetches of the same file: one
    reading is one entry in the log, however many pieces it arrives in.
    """
    item = version.document.agenda_item
    original = service.file_path(version)
    # A ballot's papers (no agenda item) always name their reader: they go out to members' tablets
    # between sessions, outside any meeting room.
    if item is not None and not needs_watermark(item.meeting, item):
        return _safe_original(version)
    target = _cache_dir() / f"doc-{_cache_key(version.sha256, user.id, user.full_name)}.pdf"
    if not target.exists():
        # Reading and writing every page is pure Python: in a thread of its own, so that the loop
        # serving the tablets keeps its turns meanwhile (ecabinet.common.serving).
        off_loop(_safe_copy, original, watermark_text(user), target)
    if new_download:
        audit.record(
            user, "document.download", version.document, {"version": version.number, "watermarked": True}
        )
    return target


def _safe_original(version: DocumentVersion) -> Path:
    """The stored original where nothing in it acts (as it was uploaded, byte for byte); otherwise one
    copy of it without what acts, made once per version for whoever asks. Decided at the first
    download and remembered beside the copies (a `plain-` mark when the original will do)."""
    original = service.file_path(version)
    key = _cache_key(version.sha256)
    safe, plain = _cache_dir() / f"safe-{key}.pdf", _cache_dir() / f"plain-{key}"
    if safe.exists():
        return safe
    if plain.exists():
        return original
    if off_loop(_acts, original):
        off_loop(_safe_copy, original, None, safe)
        return safe
    plain.touch()
    return original


def _acts(original: Path) -> bool:
    with PdfReader(original) as reader:
        return acts(reader)


def _safe_copy(original: Path, watermark: str | None, target: Path) -> None:
    """The original's pages and what a reader needs of it, without anything that acts (sanitize.py),
    stamped with `watermark` if one is given."""
    with _atomic_output(target) as out:
        pdf = Assembler(out)
        stamper = Stamper(pdf, watermark)
        with pdf.source(original) as reader:
            for page in reader.pages:
                clean_page(page)
                stamper.stamp(page)
            pdf.add_pages(reader.pages)
            # What a reader needs of the rest comes along (outline, links, page labels); nothing that acts.
            pdf.finish(
                catalog_entries(reader.root_object),
                reader.trailer.raw_get("/Info") if "/Info" in reader.trailer else None,
            )


# --- the meeting book ----------------------------------------------------------------------


def _book_contents(user: User, meeting: Meeting) -> list[tuple]:
    """(number, item, [documents]) in agenda order, for what this user may see."""
    return [
        (entry.number, entry.item, list(entry.item.documents))
        for entry in meetings.visible_agenda(user, meeting)
    ]


def may_have_book(user: User, meeting: Meeting) -> bool:
    return access.participant_of(user, meeting) is not None or access.can_manage_meeting(user, meeting)


@dataclass(frozen=True)
class BookStatus:
    page_count: int
    built_at: datetime


def book_status(user: User, meeting: Meeting) -> BookStatus | None:
    """This user's meeting book as it was last built for what the meeting holds now, or None when
    there is none yet (or the agenda or a paper changed since). Builds nothing."""
    target, _contents, _stamped = _book_file(user, meeting)
    try:
        built = target.stat().st_mtime
    except FileNotFoundError:
        return None
    return BookStatus(_page_count(str(target)), datetime.fromtimestamp(built, UTC))


@lru_cache(maxsize=512)
def _page_count(path: str) -> int:
    # A built book never changes (its name is its content's key): counted once per process. The
    # count is read from the page tree's root, off the loop like any other PDF reading.
    return off_loop(_count_pages, path)


def _count_pages(path: str) -> int:
    with PdfReader(path) as reader:
        return len(reader.pages)


def book_for(user: User, meeting_id: int) -> Path:
    meeting = meetings.get_meeting(user, meeting_id)
    if not may_have_book(user, meeting):
        raise Forbidden("The meeting book is for the meeting's participants and the secretariat")
    target, contents, stamped = _book_file(user, meeting)
    if not target.exists():
        # What the book holds is read here, from the database; the pages are put together in a
        # thread of their own, so that the loop serving the tablets keeps its turns meanwhile.
        sections = [
            _BookSection(
                f"{number}. {item.title}",
                [(document.title, service.file_path(document.latest)) for document in documents],
                stamp,
            )
            for (number, item, documents), stamp in zip(contents, stamped, strict=True)
        ]
        watermark = watermark_text(user) if any(stamped) else None
        off_loop(_build_book, _front_matter(meeting, contents), sections, watermark, meeting.title, target)
    return target


def _book_file(user: User, meeting: Meeting) -> tuple[Path, list[tuple], list[bool]]:
    """Where this user's book of the meeting as it stands is (or will be) kept, with what it holds."""
    contents = _book_contents(user, meeting)
    stamped = [needs_watermark(meeting, item) for _, item, _ in contents]
    key = _cache_key(
        meeting.id,
        meeting.title,
        meeting.starts_at,
        meeting.location,
        meeting.watermark,
        [(n, i.title, i.presenter, [(d.title, d.latest.sha256) for d in docs]) for n, i, docs in contents],
        stamped,
        user.id if any(stamped) else None,
        user.full_name if any(stamped) else None,
    )
    return _cache_dir() / f"book-{key}.pdf", contents, stamped


@dataclass(frozen=True)
class _BookSection:
    heading: str
    documents: list[tuple[str, Path]]  # (title, stored file)
    stamped: bool


def _build_book(
    front_matter: bytes, sections: list[_BookSection], watermark: str | None, title: str, target: Path
) -> None:
    with _atomic_output(target) as out:
        pdf = Assembler(out)
        stamper = Stamper(pdf, watermark, number_pages=True)
        with pdf.source(front_matter) as front:
            front_pages = len(front.pages)
            outline = [Bookmark("Bìa và chương trình họp", pdf.add_pages(front.pages)[0])]
        for section in sections:
            children = []
            for document_title, path in section.documents:
                with pdf.source(path) as source:
                    for page in source.pages:
                        clean_page(page)
                        stamper.stamp(page, watermark=section.stamped)
                    children.append(Bookmark(document_title, pdf.add_pages(source.pages)[0]))
            outline.append(Bookmark(section.heading, children[0].page if children else None, children))
        stamper.write_page_numbers()
        labels = [NumberObject(0), DictionaryObject({NameObject("/S"): NameObject("/r")})]
        if pdf.page_count > front_pages:
            labels += [NumberObject(front_pages), DictionaryObject({NameObject("/S"): NameObject("/D")})]
        pdf.finish(
            {
                "/Outlines": pdf.add_outline(outline),
                "/PageLabels": DictionaryObject({NameObject("/Nums"): ArrayObject(labels)}),
                "/PageMode": NameObject("/UseOutlines"),
            },
            {"/Title": TextStringObject(title), "/Creator": TextStringObject("ecabinet")},
        )


def _front_matter(meeting: Meeting, contents) -> bytes:
    pdf = new_document()
    pdf.add_page()
    pdf.set_font("Serif", "B", 13)
    pdf.cell(0, 18, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 18, "Độc lập - Tự do - Hạnh phúc", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(90)
    pdf.set_font("Serif", "B", 22)
    pdf.multi_cell(0, 30, "TÀI LIỆU PHIÊN HỌP", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Serif", "B", 16)
    pdf.multi_cell(0, 24, meeting.title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(20)
    pdf.set_font("Serif", "", 13)
    when = meeting.starts_at.astimezone(VN)
    pdf.multi_cell(
        0, 20, f"Thời gian: {when:%H:%M}, ngày {when:%d/%m/%Y}", align="C", new_x="LMARGIN", new_y="NEXT"
    )
    if meeting.location:
        pdf.multi_cell(0, 20, f"Địa điểm: {meeting.location}", align="C", new_x="LMARGIN", new_y="NEXT")
    if meeting.chair:
        pdf.multi_cell(0, 20, f"Chủ trì: {meeting.chair.full_name}", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.add_page()
    pdf.set_font("Serif", "B", 16)
    pdf.cell(0, 26, "CHƯƠNG TRÌNH HỌP", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    for number, item, documents in contents:
        depth = number.count(".")
        pdf.set_x(56 + 18 * depth)
        pdf.set_font("Serif", "B" if depth == 0 else "", 12)
        pdf.multi_cell(0, 17, f"{number}. {item.title}", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Serif", "I", 10.5)
        details = [
            item.presenter and f"Trình bày: {item.presenter}",
            documents and f"Tài liệu: {len(documents)}",
        ]
        line = " · ".join(d for d in details if d)
        if line:
            pdf.set_x(56 + 18 * depth)
            pdf.multi_cell(0, 15, line, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
    return to_bytes(pdf)
