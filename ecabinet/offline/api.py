"""GET /api/v1/meetings/<id>/offline: what the member's tablet keeps of a meeting to read offline.

The service worker (static/js/sw.js) downloads exactly these addresses — the same ones the pages use,
so that a page read offline asks for what was stored — and at every later contact drops what the
list no longer holds (a paper removed, an item made confidential, a meeting no longer shared).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from flask import Blueprint, current_app, jsonify, url_for

from ecabinet.common.api import actor, writes
from ecabinet.common.openapi import doc
from ecabinet.documents.models import Document
from ecabinet.offline import service

bp = Blueprint("offline", __name__)


@bp.get("/meetings/<int:meeting_id>/offline")
@writes  # the open ballots are listed, and a ballot past its deadline closes when it is looked at
@doc(
    "What a tablet keeps of a meeting to read it offline: its pages, the papers the caller may see "
    "(each with its version, size and the addresses of its viewer, file and annotations), the ballots "
    "awaiting the caller's answer and the viewer's assets",
    who="whoever may see the meeting",
    returns="{meeting_id, title, pages, items, ballots, documents, assets}",
    errors=(404,),
)
def meeting_package(meeting_id: int):
    package = service.meeting_package(actor(), meeting_id)
    meeting = package.meeting
    pages = [url_for("meetings_pages.meetings"), url_for("meetings_pages.meeting", meeting_id=meeting.id)]
    if package.ballots:
        pages.append(url_for("ballots_pages.inbox"))
        pages.extend(url_for("ballots_pages.ballot", ballot_id=b.id) for b in package.ballots)
    return jsonify(
        {
            "meeting_id": meeting.id,
            "title": meeting.title,
            "pages": pages,
            "items": [{"id": item.id, "title": item.title} for item in package.items],
            "ballots": [{"id": b.id, "title": b.title} for b in package.ballots],
            "documents": [_document(d) for d in package.documents],
            "assets": _assets(current_app.static_folder),
        }
    )


def _document(document: Document) -> dict:
    version = document.latest
    return {
        "id": document.id,
        "title": document.title,
        "version": version.number,
        "size": version.size,
        "sha256": version.sha256,
        # As the viewer page asks for them (documents/views.py): the file by its version number, the
        # annotations of that version.
        "viewer_url": url_for("documents_pages.viewer", document_id=document.id),
        "file_url": url_for("api.documents.file", document_id=document.id, version=version.number),
        "annotations_url": url_for("api.annotations.list_annotations", document_id=document.id)
        + f"?version={version.number}",
    }


@cache
def _assets(static_folder: str) -> list[str]:
    """Every file under static/: the pages' scripts and styles, PDF.js with its fonts and maps."""
    root = Path(static_folder)
    return [
        url_for("static", filename=path.relative_to(root).as_posix())
        for path in sorted(root.rglob("*"))
        if path.is_file()
        and not path.name.startswith(".")
        and path.name not in ("LICENSE", "VERSION")
        # The service worker is served at /sw.js and kept by the browser itself.
        and path.relative_to(root).as_posix() != "js/sw.js"
    ]
