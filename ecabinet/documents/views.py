"""The tablet's document viewer: the PDF drawn by PDF.js in the browser, with the reader's annotations.

The page itself carries only what the script needs to start (which version, each page's size, the
API addresses); the PDF and the annotations come from the same /api/v1 the tablets use.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request, url_for
from flask_login import login_required

from ecabinet.common.pages import user
from ecabinet.documents import serialize, service

bp = Blueprint("documents_pages", __name__)


@bp.get("/documents/<int:document_id>")
@login_required
def viewer(document_id: int):
    actor = user()
    document = service.get_document(actor, document_id)
    number = request.args.get("version", type=int)
    version = document.version(number)
    if version is None:
        abort(404)
    page = request.args.get("page", default=1, type=int)
    item = document.agenda_item
    meeting = item.meeting
    version_query = {} if version is document.latest else {"version": version.number}
    config = {
        "documentId": document.id,
        "version": version.number,
        "latestVersion": document.latest.number,
        "pageCount": version.page_count,
        # Each page's media box in PDF points: the empty pages get their size before PDF.js has
        # read them, so a long document lays out at once and the scroll bar does not jump.
        "pageBoxes": version.page_boxes,
        "startPage": min(max(page, 1), version.page_count),
        "userId": actor.id,
        "fileUrl": url_for("api.documents.file", document_id=document.id, version=version.number),
        "annotationsUrl": url_for("api.annotations.list_annotations", document_id=document.id),
        # ".../annotations/" to which the script appends an annotation's id
        "annotationUrl": url_for("api.annotations.update_annotation", annotation_id=0)[:-1],
        # The meeting room's events are not needed here: the reader's own annotation changes come
        # to their personal room, which the server joins them to at connect.
        "socketPath": "/socket.io",
    }
    return render_template(
        "documents/viewer.html",
        document=serialize.document(document, with_versions=True),
        version=serialize.version(version),
        item=item,
        meeting=meeting,
        config=config,
        file_url=url_for("api.documents.file", document_id=document.id, **version_query),
        annotated_url=url_for("api.annotations.annotated_pdf", document_id=document.id, **version_query),
    )
