"""The tablet's document viewer: the PDF drawn by PDF.js in the browser, with the reader's annotations.

The page itself carries only what the script needs to start (which version, each page's size, the
API addresses); the PDF and the annotations come from the same /api/v1 the tablets use.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from ecabinet.annotations import carry
from ecabinet.common.pages import form_id, safe_next, user
from ecabinet.documents import serialize, service

bp = Blueprint("documents_pages", __name__)


@bp.get("/documents/<int:document_id>")
@login_required
def viewer(document_id: int):
    actor = user()
    document = service.get_document(actor, document_id)
    number = request.args.get("version", type=form_id)
    version = document.version(number)
    if version is None:
        abort(404)
    page = request.args.get("page", type=form_id) or 1
    item = document.agenda_item
    # A meeting's paper leads back to its agenda item; a ballot's paper (no item) back to where the
    # reader came from (the ballot pages pass it), else to the ballots.
    if item is not None:
        back_url = url_for("meetings_pages.meeting", meeting_id=item.meeting_id) + f"#item-{item.id}"
        back_label, context = _("Back to the meeting"), item.title
    else:
        back_url = safe_next("back") or url_for("ballots_pages.inbox")
        back_label, context = _("Back"), _("Written-opinion ballot")
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
    note_carry = version.note_carry
    return render_template(
        "documents/viewer.html",
        # The reader's notes of the previous version still being carried onto this one, and those
        # not found in it, each with a link to where it stays.
        note_carry=note_carry
        if note_carry is not None and note_carry.status in ("queued", "running")
        else None,
        left_behind=carry.left_behind(actor, version),
        from_version=note_carry.from_version.number if note_carry is not None else None,
        document=serialize.document(document, with_versions=True),
        version=serialize.version(version),
        back_url=back_url,
        back_label=back_label,
        context=context,
        config=config,
        file_url=url_for("api.documents.file", document_id=document.id, **version_query),
        annotated_url=url_for("api.annotations.annotated_pdf", document_id=document.id, **version_query),
    )
