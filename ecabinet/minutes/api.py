from __future__ import annotations

from typing import Annotated

from flask import Blueprint, jsonify
from pydantic import Field, StringConstraints, model_validator

from ecabinet.common.api import DOCX, actor, body, download, may
from ecabinet.common.input import Body, Id
from ecabinet.common.openapi import doc
from ecabinet.common.time import iso
from ecabinet.minutes import exports, service

bp = Blueprint("minutes", __name__)

Prose = Annotated[str, StringConstraints(max_length=100_000)]


class EntryBody(Body):
    agenda_item_id: Id
    notes: Prose | None = None
    decision: Prose | None = None


class MinutesBody(Body):
    """What changed: the summary, the entries given (each field given); what is left out keeps its text."""

    summary: Prose | None = None
    entries: list[EntryBody] = Field(default_factory=list, max_length=500)
    revision: int | None = Field(
        None,
        ge=0,
        description="the revision this edit was made on; a newer one saved since → 409 with its text",
    )

    @model_validator(mode="after")
    def _says_something(self):
        if not {"summary", "entries"} & self.model_fields_set:
            raise ValueError("Send `summary`, `entries` or both")
        return self


def _text(meeting_id: int) -> dict:
    user = actor()
    meeting, minutes = service.get(user, meeting_id)
    return service.serialize_text(user, meeting, minutes)


@bp.get("/meetings/<int:meeting_id>/minutes")
@doc(
    "The minutes' text: summary, notes and decision per agenda item, revision, approval",
    who="participants, clerk, secretariat",
    returns="{summary, entries: [{agenda_item_id, notes, decision}], …}",
    errors=(403, 404),
)
def get_minutes(meeting_id: int):
    return jsonify(_text(meeting_id))


@bp.put("/meetings/<int:meeting_id>/minutes")
@may(service.writable_meeting)
@doc(
    "Save the minutes (the entries given; others stay) as a new revision",
    who="clerk, secretariat",
    body=MinutesBody,
    returns="the minutes",
    errors=(403, 404, 409),
)
def save_minutes(meeting_id: int):
    data = body(MinutesBody)
    entries = [service.EntryInput(e.agenda_item_id, e.notes, e.decision) for e in data.entries]
    service.save(actor(), meeting_id, data.summary, entries, data.revision)
    return jsonify(_text(meeting_id))


@bp.post("/meetings/<int:meeting_id>/minutes/approve")
@may(service.approvable_meeting)
@doc(
    "Approve and freeze the minutes", who="chair, secretariat", returns="the minutes", errors=(403, 404, 409)
)
def approve_minutes(meeting_id: int):
    service.approve(actor(), meeting_id)
    return jsonify(_text(meeting_id))


@bp.get("/meetings/<int:meeting_id>/minutes/revisions")
@doc(
    "Every saved revision, oldest first: who saved it and when",
    who="participants, clerk, secretariat",
    returns="list of {number, author, created_at, summary, entries}",
    errors=(403, 404),
)
def minutes_revisions(meeting_id: int):
    user = actor()
    meeting, _minutes = service.get(user, meeting_id)
    visible = service.visible_keys(user, meeting)
    return jsonify(
        [
            {
                "number": r.number,
                "author": r.author.full_name if r.author else None,
                "created_at": iso(r.created_at),
                "summary": r.summary,
                "entries": {key: text for key, text in r.entries.items() if key in visible},
            }
            for r in service.revisions(user, meeting_id)
        ]
    )


def _export(meeting_id: int, make, mimetype: str, filename: str):
    return download(make(service.record(actor(), meeting_id)), mimetype, filename)


@bp.get("/meetings/<int:meeting_id>/minutes.pdf")
@doc(
    "The minutes with attendance, agenda, speakers, votes and decisions (signed once approved, when configured)",
    who="participant, clerk, secretariat",
    binary="application/pdf",
    returns="the PDF",
    errors=(403, 404),
)
def minutes_pdf(meeting_id: int):
    return _export(meeting_id, exports.minutes_pdf, "application/pdf", f"bien-ban-phien-hop-{meeting_id}.pdf")


@bp.get("/meetings/<int:meeting_id>/minutes.docx")
@doc(
    "The minutes as an editable Word document",
    who="participant, clerk, secretariat",
    binary=DOCX,
    returns="the DOCX",
    errors=(403, 404),
)
def minutes_docx(meeting_id: int):
    return _export(meeting_id, exports.minutes_docx, DOCX, f"bien-ban-phien-hop-{meeting_id}.docx")


@bp.get("/meetings/<int:meeting_id>/conclusions.pdf")
@doc(
    "The conclusion notice (thông báo kết luận): decisions only, one per item",
    who="participant, clerk, secretariat",
    binary="application/pdf",
    returns="the PDF",
    errors=(403, 404),
)
def conclusions_pdf(meeting_id: int):
    return _export(
        meeting_id, exports.conclusions_pdf, "application/pdf", f"thong-bao-ket-luan-{meeting_id}.pdf"
    )


@bp.get("/meetings/<int:meeting_id>/conclusions.docx")
@doc(
    "The conclusion notice as a Word document",
    who="participant, clerk, secretariat",
    binary=DOCX,
    returns="the DOCX",
    errors=(403, 404),
)
def conclusions_docx(meeting_id: int):
    return _export(meeting_id, exports.conclusions_docx, DOCX, f"thong-bao-ket-luan-{meeting_id}.docx")
