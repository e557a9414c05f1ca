"""What members download: documents (watermarked where the meeting says so) and the meeting book.

Every generated file is cached under ECABINET_STORAGE/cache by a key made of what it contains (the
content hashes of the versions, the titles, who it is stamped for), so a repeat request is a file
read, and any change to the content makes a new key.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import current_app
from pypdf import PdfReader, PdfWriter
from pypdf.constants import PageLabelStyle

from ecabinet.audit import service as audit
from ecabinet.auth.models import User
from ecabinet.common.pdfgen import new_document, to_bytes
from ecabinet.common.time import utcnow
from ecabinet.documents import service
from ecabinet.documents.models import DocumentVersion
from ecabinet.documents.stamping import Stamper
from ecabinet.errors import Forbidden
from ecabinet.meetings import access
from ecabinet.meetings import service as meetings
from ecabinet.meetings.models import AgendaItem, Meeting

CACHE_FORMAT = "1"  # bump when the layout of generated files changes
VN = ZoneInfo("Asia/Ho_Chi_Minh")


def _cache_dir() -> Path:
    path = Path(current_app.config["ECABINET_STORAGE"]) / "cache"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _cache_key(*parts) -> str:
    return hashlib.sha256(
        json.dumps([CACHE_FORMAT, *parts], ensure_ascii=False, default=str).encode()
    ).hexdigest()


def _write_atomically(path: Path, writer: PdfWriter) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".part")
    with os.fdopen(fd, "wb") as out:
        writer.write(out)
    os.replace(tmp, path)


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
        return original
    target = _cache_dir() / f"doc-{_cache_key(version.sha256, user.id, user.full_name)}.pdf"
    if not target.exists():
        writer = PdfWriter(clone_from=original)
        stamper = Stamper(writer, watermark_text(user))
        for page in writer.pages:
            stamper.stamp(page)
        _write_atomically(target, writer)
    if new_download:
        audit.record(
            user, "document.download", version.document, {"version": version.number, "watermarked": True}
        )
    return target


# --- the meeting book ----------------------------------------------------------------------


def _book_contents(user: User, meeting: Meeting) -> list[tuple]:
    """(number, item, [documents]) in agenda order, for what this user may see."""
    return [
        (entry.number, entry.item, list(entry.item.documents))
        for entry in meetings.visible_agenda(user, meeting)
    ]


def book_for(user: User, meeting_id: int) -> Path:
    meeting = meetings.get_meeting(user, meeting_id)
    if access.participant_of(user, meeting) is None and not access.can_manage_meeting(user, meeting):
        raise Forbidden("The meeting book is for the meeting's participants and the secretariat")
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
    target = _cache_dir() / f"book-{key}.pdf"
    if not target.exists():
        _build_book(user, meeting, contents, stamped, target)
    return target


def _build_book(user: User, meeting: Meeting, contents, stamped: list[bool], target: Path) -> None:
    writer = PdfWriter()
    front = PdfReader(_front_matter(meeting, contents))
    writer.append(front, import_outline=False)
    front_pages = len(writer.pages)
    writer.add_outline_item(title="Bìa và chương trình họp", page_number=0)
    spans: list[tuple[int, int, bool]] = []
    for (number, item, documents), stamp in zip(contents, stamped, strict=True):
        start = len(writer.pages)
        parent = writer.add_outline_item(
            title=f"{number}. {item.title}", page_number=start if documents else None
        )
        for document in documents:
            first = len(writer.pages)
            writer.append(service.file_path(document.latest), import_outline=False)
            writer.add_outline_item(title=document.title, page_number=first, parent=parent)
        if len(writer.pages) > start:
            spans.append((start, len(writer.pages), stamp))
    body_pages = len(writer.pages) - front_pages
    writer.set_page_label(0, front_pages - 1, style=PageLabelStyle.LOWERCASE_ROMAN, start=1)
    if body_pages:
        writer.set_page_label(front_pages, len(writer.pages) - 1, style=PageLabelStyle.DECIMAL, start=1)
    plain = Stamper(writer, None, number_pages=True)
    marked = Stamper(writer, watermark_text(user), number_pages=True) if any(stamped) else None
    stamp_of = {}
    for start, end, stamp in spans:
        for index in range(start, end):
            stamp_of[index] = stamp
    for index in range(front_pages, len(writer.pages)):
        stamper = marked if stamp_of.get(index) and marked else plain
        stamper.stamp(writer.pages[index], f"{index - front_pages + 1} / {body_pages}")
    writer.add_metadata({"/Title": meeting.title, "/Creator": "ecabinet"})
    writer.page_mode = "/UseOutlines"
    _write_atomically(target, writer)


def _front_matter(meeting: Meeting, contents) -> io.BytesIO:
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
    return io.BytesIO(to_bytes(pdf))
