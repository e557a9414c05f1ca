from __future__ import annotations

from flask import Blueprint, jsonify, request

from ecabinet.common.api import (
    actor,
    body,
    created,
    may,
    no_content,
    query_int,
    send_pdf,
    uploaded_file,
    writes,
)
from ecabinet.common.input import Body, Id, Text
from ecabinet.common.openapi import doc
from ecabinet.documents import serialize, service
from ecabinet.documents.exports import book_for, download_for
from ecabinet.meetings import service as meetings

bp = Blueprint("documents", __name__)


class RetitleBody(Body):
    title: Text


@bp.post("/agenda/<int:item_id>/documents")
@may(meetings.managed_item)
@doc(
    "Upload a PDF to an agenda item",
    who="secretariat",
    multipart=True,
    status=201,
    returns="{id, title, version: {id, number, page_count, sha256, size}}",
    errors=(403, 404, 409, 413, 415),
)
def upload(item_id: int):
    upload = uploaded_file()
    document = service.upload_document(
        actor(), item_id, upload.stream, upload.filename, request.form.get("title")
    )
    return created(serialize.document(document, with_versions=True))


@bp.post("/documents/<int:document_id>/versions")
@may(service.managed_document)
@doc(
    "Upload a new version of a document",
    who="secretariat",
    multipart=True,
    status=201,
    returns="the new version",
    errors=(403, 404, 409, 413, 415),
)
def add_version(document_id: int):
    upload = uploaded_file()
    return created(
        serialize.version(service.add_version(actor(), document_id, upload.stream, upload.filename))
    )


@bp.get("/documents/<int:document_id>")
@doc(
    "A document with all its versions",
    who="whoever may see its agenda item",
    returns="the document",
    errors=(404,),
)
def get_document(document_id: int):
    return jsonify(serialize.document(service.get_document(actor(), document_id), with_versions=True))


@bp.patch("/documents/<int:document_id>")
@may(service.managed_document)
@doc(
    "Retitle a document", who="secretariat", body=RetitleBody, returns="the document", errors=(403, 404, 409)
)
def retitle(document_id: int):
    data = body(RetitleBody)
    return jsonify(serialize.document(service.retitle(actor(), document_id, data.title), with_versions=True))


@bp.delete("/documents/<int:document_id>")
@may(service.managed_document)
@doc(
    "Remove a document with its versions and annotations",
    who="secretariat",
    status=204,
    returns="nothing",
    errors=(403, 404, 409),
)
def remove(document_id: int):
    service.remove(actor(), document_id)
    return no_content()


@bp.get("/documents/<int:document_id>/file")
@writes
@doc(
    "The PDF (latest version, or `?version=N`), watermarked for the caller where the meeting says so",
    who="whoever may see its agenda item",
    binary="application/pdf",
    returns="the PDF",
    errors=(404,),
)
def file(document_id: int):
    user = actor()
    version = service.get_version(user, document_id, query_int("version", minimum=1))
    continuing = request.range is not None and request.range.ranges[0][0] > 0
    return send_pdf(download_for(user, version, new_download=not continuing), f"{version.document.title}.pdf")


@bp.get("/meetings/<int:meeting_id>/book.pdf")
@doc(
    "The meeting book: cover, agenda, then every document the caller may see in agenda order, with an "
    "outline entry per item and per document",
    who="participant, secretariat",
    binary="application/pdf",
    returns="the PDF",
    errors=(403, 404),
)
def book(meeting_id: int):
    return send_pdf(book_for(actor(), meeting_id), "tai-lieu-phien-hop.pdf")


class PresenterBody(Body):
    document_id: Id
    version: Id
    page: Id


@bp.post("/meetings/<int:meeting_id>/presenter")
@may(meetings.run_meeting)
@doc(
    "Show a document page on every tablet that follows the presenter",
    who="secretariat, chair",
    body=PresenterBody,
    returns="{document_id, version, page}",
    errors=(403, 404, 409),
)
def present(meeting_id: int):
    data = body(PresenterBody)
    return jsonify(service.present(actor(), meeting_id, data.document_id, data.version, data.page))


@bp.get("/meetings/<int:meeting_id>/presenter")
@doc(
    "What the presenter shows now",
    who="participant, secretariat",
    returns="{document_id, version, page}",
    errors=(404,),
)
def presenter(meeting_id: int):
    return jsonify(service.presenter_for(actor(), meeting_id))


@bp.get("/search")
@doc(
    "Find documents by title and text (accents optional: `dat dai` finds `Đất đai`)",
    returns="list of {document_id, title, meeting_id, agenda_item_id, version, pages, snippet}",
    errors=(400,),
)
def search():
    query = request.args.get("q", "")
    hits = service.search(actor(), query)
    return jsonify(
        [
            {
                "document_id": h.document.id,
                "title": h.document.title,
                "meeting_id": h.document.agenda_item.meeting_id if h.document.agenda_item else None,
                "agenda_item_id": h.document.agenda_item_id,
                "version": h.version.number,
                "pages": h.pages,
                "in_title": h.in_title,
                "snippet": h.snippet,
            }
            for h in hits
        ]
    )
