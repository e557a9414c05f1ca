from __future__ import annotations

from ecabinet.auth.models import User
from ecabinet.common.time import iso
from ecabinet.documents.models import Document, DocumentVersion
from ecabinet.meetings.models import AgendaItem


def version(v: DocumentVersion) -> dict:
    return {
        "id": v.id,
        "document_id": v.document_id,
        "number": v.number,
        "page_count": v.page_count,
        "sha256": v.sha256,
        "size": v.size,
        "filename": v.filename,
        "uploaded_at": iso(v.uploaded_at),
        "uploaded_by": v.uploaded_by.full_name if v.uploaded_by else None,
        "text_status": v.text_status,
        "notes_carry": _notes_carry(v),
    }


def _notes_carry(v: DocumentVersion) -> dict | None:
    """How far the members' notes of the previous version have come onto this one: the annotations
    domain keeps it (`note_carry`, ecabinet.annotations.carry), and the uploader watches it here."""
    carry = getattr(v, "note_carry", None)
    if carry is None:
        return None
    return {
        "status": carry.status,
        "from_version": carry.from_version.number,
        "total": carry.total,
        "done": carry.done,
        "carried": carry.carried,
        "missed": carry.missed,
    }


def item_documents(user: User, item: AgendaItem) -> dict:
    """An agenda item's papers, as the meeting's serializer shows them (`meetings.serialize.item_fields`)."""
    return {"documents": [document(d) for d in item.documents]}


def document(d: Document, with_versions: bool = False) -> dict:
    out = {
        "id": d.id,
        "title": d.title,
        "agenda_item_id": d.agenda_item_id,
        "meeting_id": d.agenda_item.meeting_id if d.agenda_item else None,
        "version": version(d.latest),
        "created_at": iso(d.created_at),
    }
    if with_versions:
        out["versions"] = [version(v) for v in d.versions]
    return out
