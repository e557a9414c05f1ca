"""Agenda documents: upload with validation, versions, titles, removal, download, search."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import BinaryIO

from flask import current_app
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from ecabinet.audit import service as audit
from ecabinet.auth.models import User
from ecabinet.common import jobs, unit_of_work
from ecabinet.common.hooks import Hook
from ecabinet.documents import text_index
from ecabinet.documents.models import Document, DocumentVersion, PageText, StoredFile
from ecabinet.documents.pdf import check_pdf, clean_filename, fold
from ecabinet.documents.storage import Incoming, blob_store
from ecabinet.errors import Conflict, Forbidden, Invalid, NotFound
from ecabinet.extensions import db
from ecabinet.meetings import access, events
from ecabinet.meetings import service as meetings
from ecabinet.meetings.models import AgendaItem

_NEW_BLOBS = "new_blobs"


def max_upload_bytes() -> int:
    return current_app.config["ECABINET_MAX_UPLOAD_MB"] * 1024 * 1024


# --- visibility ----------------------------------------------------------------------------


# Other domains that attach documents (ballots) say who else may see them: `rule(user, document)`.
also_visible_when: Hook[[User, Document]] = Hook("documents.also_visible_when")


def can_see_document(user: User, document: Document) -> bool:
    # The secretariat sees every paper, including one uploaded for a ballot before it is attached.
    if access.is_secretariat(user):
        return True
    if document.agenda_item is not None and access.can_see_item(user, document.agenda_item):
        return True
    return also_visible_when.any(user, document)


def get_document(user: User, document_id: int) -> Document:
    document = db.session.get(Document, document_id)
    if document is None or not can_see_document(user, document):
        raise NotFound(f"Document {document_id} not found")
    return document


def get_version(user: User, document_id: int, number: int | None) -> DocumentVersion:
    document = get_document(user, document_id)
    version = document.version(number)
    if version is None:
        raise NotFound(f"Document {document_id} has no version {number}")
    return version


def managed_document(user: User, document_id: int) -> Document:
    document = get_document(user, document_id)
    if not access.is_secretariat(user):
        raise Forbidden("Only the secretariat manages documents")
    return document


def _changeable_document(user: User, document_id: int) -> Document:
    document = managed_document(user, document_id)
    if document.agenda_item is not None and document.agenda_item.meeting.status == "closed":
        raise Conflict("The meeting is closed", code="meeting_closed")
    return document


def visible_documents(user: User, item) -> list[Document]:
    return list(item.documents) if access.can_see_item(user, item) else []


# --- upload --------------------------------------------------------------------------------


def _receive(stream: BinaryIO) -> tuple[Incoming, list[list[float]]]:
    store = blob_store()
    incoming = store.receive(stream, max_upload_bytes())
    try:
        # Parsing a long PDF takes a while, in pure Python: in a job worker, not on the serving loop.
        boxes = jobs.run(check_pdf, incoming.path, incoming.head, current_app.config["ECABINET_MAX_PAGES"])
    except Exception:
        store.discard(incoming)
        raise
    return incoming, boxes


# Other modules act on a new version (exports: prepare the members' copies of it).
on_version_added: Hook[[DocumentVersion]] = Hook("documents.on_version_added")


def _new_version(
    user: User, document: Document, incoming: Incoming, boxes, filename: str | None
) -> DocumentVersion:
    if db.session.get(StoredFile, incoming.sha256) is None:
        db.session.add(StoredFile(sha256=incoming.sha256, size=incoming.size))
    if blob_store().keep(incoming):
        # Should the transaction roll back, the file it brought goes with it.
        unit_of_work.queue(db.session(), _NEW_BLOBS, incoming.sha256)
    number = (document.versions[-1].number + 1) if document.versions else 1
    version = DocumentVersion(
        document=document,
        number=number,
        sha256=incoming.sha256,
        size=incoming.size,
        page_count=len(boxes),
        page_boxes=boxes,
        filename=clean_filename(filename),
        uploaded_by_id=user.id,
    )
    db.session.add(version)
    text_index.queue_extraction(version)
    on_version_added.run(version)
    return version


def upload_document(
    user: User, item_id: int, stream: BinaryIO, filename: str | None, title: str | None
) -> Document:
    item = meetings.managed_item(user, item_id)
    if item.meeting.status == "closed":
        raise Conflict("The meeting is closed", code="meeting_closed")
    return create_document(user, stream, filename, title, item)


def create_document(
    user: User, stream: BinaryIO, filename: str | None, title: str | None, item: AgendaItem | None = None
) -> Document:
    """A new document from an upload: on an agenda item, or loose for another domain to attach."""
    if not access.is_secretariat(user):
        raise Forbidden("Only the secretariat uploads documents")
    return keep_upload(user, stream, filename, title, item)


def keep_upload(
    user: User, stream: BinaryIO, filename: str | None, title: str | None, item: AgendaItem | None = None
) -> Document:
    """A document from an upload, with every check an upload gets (size, pages, a readable PDF), for a
    caller whom its domain has allowed to upload: a ministry's report on its task comes this way."""
    title = (title or "").strip() or _title_from(filename)
    if len(title) > 500:
        raise Invalid("The title is longer than 500 characters", fields=["title"])
    incoming, boxes = _receive(stream)
    document = Document(
        agenda_item=item,
        title=title,
        title_folded=fold(title),
        position=len(item.documents) + 1 if item is not None else 0,
        created_by_id=user.id,
    )
    db.session.add(document)
    version = _new_version(user, document, incoming, boxes, filename)
    db.session.flush()
    audit.record(
        user,
        "document.upload",
        document,
        {
            "agenda_item_id": item.id if item else None,
            "title": title,
            "sha256": version.sha256,
            "pages": version.page_count,
        },
    )
    _announce(document, "document.added", {"version": 1})
    return document


def _announce(document: Document, type: str, data: dict) -> None:
    """Tell the meeting's tablets, when the document belongs to a meeting."""
    item = document.agenda_item
    if item is not None:
        events.publish(
            item.meeting,
            type,
            {"document_id": document.id, "agenda_item_id": item.id, "title": document.title, **data},
            item,
        )


def add_version(user: User, document_id: int, stream: BinaryIO, filename: str | None) -> DocumentVersion:
    document = _changeable_document(user, document_id)
    incoming, boxes = _receive(stream)
    version = _new_version(user, document, incoming, boxes, filename)
    db.session.flush()
    audit.record(
        user, "document.new_version", document, {"version": version.number, "sha256": version.sha256}
    )
    _announce(document, "document.added", {"version": version.number})
    return version


def _title_from(filename: str | None) -> str:
    name = clean_filename(filename) or "Tài liệu"
    return re.sub(r"\.pdf$", "", name, flags=re.IGNORECASE) or "Tài liệu"


def retitle(user: User, document_id: int, title: str) -> Document:
    document = _changeable_document(user, document_id)
    document.title = title
    document.title_folded = fold(title)
    audit.record(user, "document.retitle", document, {"title": title})
    _announce(document, "agenda.changed", {"action": "document_updated"})
    return document


def remove(user: User, document_id: int) -> None:
    document = _changeable_document(user, document_id)
    audit.record(user, "document.remove", document, {"title": document.title})
    _announce(document, "agenda.changed", {"action": "document_removed"})
    if document.agenda_item is not None:
        document.agenda_item.documents.remove(document)  # delete-orphan takes versions and annotations
    else:
        db.session.delete(document)


def drop_new_blobs(session: Session) -> None:
    shas = unit_of_work.take(session, _NEW_BLOBS)
    if not shas:
        return
    store = blob_store()
    for sha in shas:
        store.remove(sha)


# --- search --------------------------------------------------------------------------------


@dataclass
class SearchHit:
    document: Document
    version: DocumentVersion
    pages: list[int]
    in_title: bool
    snippet: str | None


def _like(word: str) -> str:
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search(user: User, query: str, limit: int = 50) -> list[SearchHit]:
    """Documents the user may see whose title or latest version's text holds every word of the query."""
    words = fold(query).split()
    if not words or len(query) > 200:
        raise Invalid("Give 1–200 characters to search for", fields=["q"])
    latest = (
        select(DocumentVersion.document_id, func.max(DocumentVersion.number).label("number"))
        .group_by(DocumentVersion.document_id)
        .subquery()
    )
    rows = db.session.execute(
        select(DocumentVersion.document_id, PageText.page, PageText.text)
        .join(
            latest,
            and_(
                latest.c.document_id == DocumentVersion.document_id, latest.c.number == DocumentVersion.number
            ),
        )
        .join(PageText, PageText.version_id == DocumentVersion.id)
        .where(*(PageText.folded.like(_like(w), escape="\\") for w in words))
        .order_by(DocumentVersion.document_id, PageText.page)
    ).all()
    pages: dict[int, list[tuple[int, str]]] = {}
    for document_id, page, text in rows:
        pages.setdefault(document_id, []).append((page, text))
    title_match = and_(*(Document.title_folded.like(_like(w), escape="\\") for w in words))
    documents = db.session.scalars(select(Document).where(or_(Document.id.in_(list(pages)), title_match)))
    hits = []
    for document in documents:
        if not can_see_document(user, document):
            continue
        found = pages.get(document.id, [])
        hits.append(
            SearchHit(
                document,
                document.latest,
                [p for p, _ in found],
                all(w in document.title_folded for w in words),
                _snippet(found[0][1], words) if found else None,
            )
        )
    hits.sort(key=lambda h: (not h.in_title, -len(h.pages), h.document.id))
    return hits[:limit]


def _snippet(text: str, words: list[str], width: int = 160) -> str:
    folded = fold(text)
    at = min((folded.find(w) for w in words if folded.find(w) >= 0), default=0)
    start = max(0, at - width // 3)
    snippet = " ".join(text[start : start + width].split())
    return ("… " if start else "") + snippet + (" …" if start + width < len(text) else "")


# --- presenter ------------------------------------------------------------------------------


def present(user: User, meeting_id: int, document_id: int, version_number: int, page: int) -> dict:
    """Turn every tablet that follows the presenter to this page of this document."""
    meeting = meetings.run_meeting(user, meeting_id)
    if meeting.status not in ("published", "in_progress"):
        raise Conflict(f"The meeting is {meeting.status.replace('_', ' ')}", code="wrong_meeting_state")
    document = db.session.get(Document, document_id)
    if (
        document is None
        or document.agenda_item is None
        or document.agenda_item.meeting_id != meeting.id
        or not can_see_document(user, document)
    ):
        raise Invalid(
            f"Document {document_id} is not in this meeting", code="unknown_document", fields=["document_id"]
        )
    version = document.version(version_number)
    if version is None:
        raise Invalid(
            f"Document {document_id} has no version {version_number}",
            code="unknown_version",
            fields=["version"],
        )
    if not 1 <= page <= version.page_count:
        raise Invalid(
            f"Page {page} is outside the document (1–{version.page_count})",
            code="invalid_page",
            fields=["page"],
        )
    meeting.presenter_document_id, meeting.presenter_version, meeting.presenter_page = (
        document.id,
        version.number,
        page,
    )
    state = presenter_state(meeting)
    audit.record(user, "meeting.present", meeting, state)
    events.publish(meeting, "presenter.page", state, document.agenda_item)
    return state


def presenter_state(meeting) -> dict:
    return {
        "document_id": meeting.presenter_document_id,
        "version": meeting.presenter_version,
        "page": meeting.presenter_page,
    }


def presenter_for(user: User, meeting_id: int) -> dict:
    """What the presenter shows, unless it is a document this user may not see."""
    meeting = meetings.get_meeting(user, meeting_id)
    state = presenter_state(meeting)
    document = db.session.get(Document, state["document_id"]) if state["document_id"] else None
    if document is None or not can_see_document(user, document):
        return {"document_id": None, "version": None, "page": None}
    return state
