"""What members download: documents (watermarked where the meeting says so) and the meeting book.

Every generated file is cached under ECABINET_STORAGE/cache by a key made of what it contains (the
content hashes of the versions, the titles, who it is stamped for), so a repeat request is a file
read, and any change to the content makes a new key.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject, TextStringObject
from sqlalchemy.orm import Session

from ecabinet.audit import service as audit
from ecabinet.auth.models import User
from ecabinet.common import jobs, unit_of_work
from ecabinet.common.pdfgen import new_document, to_bytes
from ecabinet.common.time import cabinet_time, utcnow
from ecabinet.documents import fields, storage
from ecabinet.documents.assembly import Assembler, Bookmark
from ecabinet.documents.models import DocumentVersion
from ecabinet.documents.sanitize import acts, catalog_entries, clean_page
from ecabinet.documents.stamping import Stamper
from ecabinet.errors import Forbidden
from ecabinet.extensions import db
from ecabinet.meetings import access
from ecabinet.meetings import service as meetings
from ecabinet.meetings.models import AgendaItem, Meeting

log = logging.getLogger(__name__)

# Bump when what generated files hold changes (2: nothing that acts, sanitize.py; 3: wherever it sits;
# 4: each page's content drawn as a form under the stamps, form fields drawn into the page; 5: fields
# a form leaves to the viewer drawn from their values).
CACHE_FORMAT = "5"


def _cache_dir() -> Path:
    path = Path(current_app.config["ECABINET_STORAGE"]) / "cache"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _cache_key(*parts) -> str:
    return hashlib.sha256(
        json.dumps([CACHE_FORMAT, *parts], ensure_ascii=False, default=str).encode()
    ).hexdigest()


def cache_path(kind: str, *parts) -> Path:
    """Where the generated file of that kind made of exactly these parts is kept."""
    return _cache_dir() / f"{kind}-{_cache_key(*parts)}.pdf"


@contextmanager
def atomic_output(path: Path) -> Iterator[BinaryIO]:
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
    when = cabinet_time(when or utcnow())
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
    original = storage.file_path(version)
    # A ballot's papers (no agenda item) always name their reader: they go out to members' tablets
    # between sessions, outside any meeting room.
    if item is not None and not needs_watermark(item.meeting, item):
        return _safe_original(version)
    target = _copy_path(user, version)
    if not target.exists():
        # Reading and writing every page is pure Python, which holds the GIL: in a job worker, so that
        # the loop serving the tablets keeps its turns meanwhile (ecabinet.common.jobs).
        jobs.run(_safe_copy, original, watermark_text(user), target)
    if new_download:
        audit.record(
            user, "document.download", version.document, {"version": version.number, "watermarked": True}
        )
    return target


def _copy_path(user: User, version: DocumentVersion) -> Path:
    return cache_path("doc", version.sha256, user.id, user.full_name)


def _safe_original(version: DocumentVersion) -> Path:
    """The stored original where nothing in it acts (as it was uploaded, byte for byte); otherwise one
    copy of it without what acts, made once per version for whoever asks. Decided at the first
    download and remembered beside the copies (a `plain-` mark when the original will do)."""
    original = storage.file_path(version)
    safe, plain = cache_path("safe", version.sha256), cache_path("plain", version.sha256)
    if safe.exists():
        return safe
    if plain.exists():
        return original
    if jobs.run(_acts, original):
        jobs.run(_safe_copy, original, None, safe)
        return safe
    plain.touch()
    return original


@contextmanager
def copying(pdf: Assembler, path: Path) -> Iterator[PdfReader]:
    """A stored PDF opened to add its pages to `pdf`: the file itself, or where its form asks viewers
    to draw its fields anew, the file with them drawn from their values (documents.fields), made once
    and kept beside the copies. In a job worker only: qpdf reads and writes the whole file."""
    with pdf.source(path) as reader:
        if not fields.need_drawing(reader):
            yield reader
            return
    with pdf.source(_fields_drawn(path)) as reader:
        yield reader


def _fields_drawn(path: Path) -> Path:
    drawn = cache_path("fields", path.name)
    if drawn.exists():
        return drawn
    try:
        with atomic_output(drawn) as out:
            fields.draw(path, out)
    except fields.CannotDraw as error:
        log.warning("the form fields of %s are copied as stored: %s", path.name, error)
        return path
    return drawn


@jobs.job
def _acts(original: Path) -> bool:
    with PdfReader(original) as reader:
        return acts(reader)


@jobs.job
def _safe_copy(original: Path, watermark: str | None, target: Path) -> None:
    """The original's pages and what a reader needs of it, without anything that acts (sanitize.py),
    stamped with `watermark` if one is given."""
    with atomic_output(target) as out:
        pdf = Assembler(out)
        stamper = Stamper(pdf, watermark)
        with copying(pdf, original) as reader:
            for page in reader.pages:
                clean_page(page)
                stamper.stamp(page)
            pdf.add_pages(reader.pages)
            # What a reader needs of the rest comes along (outline, links, page labels); nothing that acts.
            pdf.finish(
                catalog_entries(reader.root_object),
                reader.trailer.raw_get("/Info") if "/Info" in reader.trailer else None,
            )


# --- prepared ahead of the session -------------------------------------------------------

_PREPARE = "prepare_copies"


def prepare_copies(meeting: Meeting) -> None:
    """After the commit, every participant's book and watermarked copies are built by the job
    workers, so that at the session's start every download is a file served as it is."""
    if current_app.config["ECABINET_PREPARE_COPIES"] and meeting.status in ("published", "in_progress"):
        unit_of_work.queue(db.session(), _PREPARE, meeting.id)


def prepare_new_version(version: DocumentVersion) -> None:
    item = version.document.agenda_item
    if item is not None:
        prepare_copies(item.meeting)


def start_preparing(session: Session) -> None:
    for meeting_id in dict.fromkeys(unit_of_work.take(session, _PREPARE)):
        jobs.start(_prepare_meeting, meeting_id)


@jobs.job
def _prepare_meeting(meeting_id: int) -> None:
    """One job per participant, so that the workers share them."""
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None or meeting.status not in ("published", "in_progress"):
        return
    user_ids = [participant.user_id for participant in meeting.participants]
    db.session.rollback()  # no transaction stays open while the jobs run (in place, one by one)
    for user_id in user_ids:
        jobs.start(_prepare_for, meeting_id, user_id)


@jobs.job
def _prepare_for(meeting_id: int, user_id: int) -> None:
    meeting, user = db.session.get(Meeting, meeting_id), db.session.get(User, user_id)
    if meeting is None or user is None or access.participant_of(user, meeting) is None:
        return
    book = _book(user, meeting)
    copies = [
        (storage.file_path(document.latest), _copy_path(user, document.latest))
        for _, item, documents in _book_contents(user, meeting)
        if needs_watermark(meeting, item)
        for document in documents
    ]
    watermark = watermark_text(user)
    db.session.rollback()  # what to build is known: no transaction stays open while it is built
    if not book.target.exists():
        _build_book(book)
    for original, target in copies:
        if not target.exists():
            _safe_copy(original, watermark, target)


# --- the meeting book ----------------------------------------------------------------------


def _book_contents(user: User, meeting: Meeting) -> list[tuple]:
    """(number, item, [documents]) in agenda order, for what this user may see."""
    return [
        (entry.number, entry.item, list(entry.item.documents))
        for entry in meetings.visible_agenda(user, meeting)
    ]


def book_for(user: User, meeting_id: int) -> Path:
    book = _book(user, _book_meeting(user, meeting_id))
    if not book.target.exists():
        # What the book holds is read here, from the database; the pages are put together in a job
        # worker, so that the loop serving the tablets keeps its turns meanwhile.
        jobs.run(_build_book, book)
    return book.target


@dataclass(frozen=True)
class BookStatus:
    """Whether the caller's book is built (a download is then a file served as it is)."""

    ready: bool
    pages: int | None  # with the cover and the agenda
    built_at: datetime | None


def book_status(user: User, meeting_id: int) -> BookStatus:
    """The caller's meeting book: built or still to be prepared, its pages and when it was built."""
    target = _book(user, _book_meeting(user, meeting_id)).target
    try:
        pages = int(target.with_suffix(".pages").read_text())
        built_at = datetime.fromtimestamp(target.stat().st_mtime, tz=UTC)
    except (OSError, ValueError):
        return BookStatus(False, None, None)
    return BookStatus(True, pages, built_at)


def may_have_book(user: User, meeting: Meeting) -> bool:
    return access.participant_of(user, meeting) is not None or access.can_manage_meeting(user, meeting)


def _book_meeting(user: User, meeting_id: int) -> Meeting:
    meeting = meetings.get_meeting(user, meeting_id)
    if not may_have_book(user, meeting):
        raise Forbidden("The meeting book is for the meeting's participants and the secretariat")
    return meeting


def _book(user: User, meeting: Meeting) -> _Book:
    """What this user's book holds, as plain data a job worker can build it from, and where it goes."""
    contents = _book_contents(user, meeting)
    stamped = [needs_watermark(meeting, item) for _, item, _ in contents]
    target = cache_path(
        "book",
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
    cover = _Cover(
        meeting.title,
        meeting.starts_at,
        meeting.location,
        meeting.chair.full_name if meeting.chair else None,
        [(number, item.title, item.presenter, len(documents)) for number, item, documents in contents],
    )
    sections = [
        _BookSection(
            f"{number}. {item.title}",
            [(document.title, storage.file_path(document.latest)) for document in documents],
            stamp,
        )
        for (number, item, documents), stamp in zip(contents, stamped, strict=True)
    ]
    watermark = watermark_text(user) if any(stamped) else None
    return _Book(target, cover, sections, watermark)


@dataclass(frozen=True)
class _Cover:
    title: str
    starts_at: datetime
    location: str | None
    chair: str | None
    agenda: list[tuple[str, str, str | None, int]]  # number, title, presenter, documents


@dataclass(frozen=True)
class _BookSection:
    heading: str
    documents: list[tuple[str, Path]]  # (title, stored file)
    stamped: bool


@dataclass(frozen=True)
class _Book:
    target: Path
    cover: _Cover
    sections: list[_BookSection]
    watermark: str | None


@jobs.job
def _build_book(book: _Book) -> None:
    target, watermark, title = book.target, book.watermark, book.cover.title
    front_matter = _front_matter(book.cover)
    with atomic_output(target) as out:
        pdf = Assembler(out)
        stamper = Stamper(pdf, watermark, number_pages=True)
        with pdf.source(front_matter) as front:
            front_pages = len(front.pages)
            outline = [Bookmark("Bìa và chương trình họp", pdf.add_pages(front.pages)[0])]
        for section in book.sections:
            children = []
            for document_title, path in section.documents:
                with copying(pdf, path) as source:
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
        # Before the book appears, so that a book there always has its count (`book_status`).
        target.with_suffix(".pages").write_text(str(pdf.page_count))


def _front_matter(cover: _Cover) -> bytes:
    pdf = new_document()
    pdf.add_page()
    pdf.set_font("Serif", "B", 13)
    pdf.cell(0, 18, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 18, "Độc lập - Tự do - Hạnh phúc", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(90)
    pdf.set_font("Serif", "B", 22)
    pdf.multi_cell(0, 30, "TÀI LIỆU PHIÊN HỌP", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Serif", "B", 16)
    pdf.multi_cell(0, 24, cover.title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(20)
    pdf.set_font("Serif", "", 13)
    when = cabinet_time(cover.starts_at)
    pdf.multi_cell(
        0, 20, f"Thời gian: {when:%H:%M}, ngày {when:%d/%m/%Y}", align="C", new_x="LMARGIN", new_y="NEXT"
    )
    if cover.location:
        pdf.multi_cell(0, 20, f"Địa điểm: {cover.location}", align="C", new_x="LMARGIN", new_y="NEXT")
    if cover.chair:
        pdf.multi_cell(0, 20, f"Chủ trì: {cover.chair}", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.add_page()
    pdf.set_font("Serif", "B", 16)
    pdf.cell(0, 26, "CHƯƠNG TRÌNH HỌP", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    for number, title, presenter, documents in cover.agenda:
        depth = number.count(".")
        pdf.set_x(56 + 18 * depth)
        pdf.set_font("Serif", "B" if depth == 0 else "", 12)
        pdf.multi_cell(0, 17, f"{number}. {title}", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Serif", "I", 10.5)
        details = [
            presenter and f"Trình bày: {presenter}",
            documents and f"Tài liệu: {documents}",
        ]
        line = " · ".join(d for d in details if d)
        if line:
            pdf.set_x(56 + 18 * depth)
            pdf.multi_cell(0, 15, line, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
    return to_bytes(pdf)
