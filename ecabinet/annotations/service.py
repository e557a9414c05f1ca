"""Members' private marks on documents: create (idempotent by client_id), list, change, remove, share."""

from __future__ import annotations

import math

from flask import current_app
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from ecabinet.annotations.models import KINDS, Annotation
from ecabinet.audit import service as audit
from ecabinet.auth.models import User
from ecabinet.common.time import iso
from ecabinet.documents import service as documents
from ecabinet.documents.models import DocumentVersion
from ecabinet.errors import Conflict, Invalid, NotFound
from ecabinet.extensions import db
from ecabinet.live import publisher

DEFAULT_COLORS = {
    "highlight": "#FFD54F",
    "underline": "#1E88E5",
    "strikeout": "#E53935",
    "ink": "#E53935",
    "note": "#FFB300",
    "freetext": "#212121",
}
TEXT_MARKS = ("highlight", "underline", "strikeout")
TOLERANCE = 1.0  # points: a finger's rounding at the page edge is not "off the page"
MAX_RECTS, MAX_PATHS, MAX_POINTS = 500, 200, 5000


def list_for(user: User, document_id: int, version_number: int | None) -> list[Annotation]:
    version = documents.get_version(user, document_id, version_number)
    return list(
        db.session.scalars(
            select(Annotation)
            .where(Annotation.version_id == version.id, or_(Annotation.user_id == user.id, Annotation.shared))
            .order_by(Annotation.id)  # the API's lists: oldest first
        )
    )


def own_for_version(user: User, version: DocumentVersion) -> list[Annotation]:
    return list(
        db.session.scalars(
            select(Annotation)
            .where(Annotation.version_id == version.id, Annotation.user_id == user.id)
            .order_by(Annotation.page, Annotation.id)
        )
    )


def owned(user: User, annotation_id: int) -> Annotation:
    annotation = db.session.get(Annotation, annotation_id)
    # Someone else's note does not exist for you, not even as "forbidden".
    if (
        annotation is None
        or annotation.user_id != user.id
        or not documents.can_see_document(user, annotation.document)
    ):
        raise NotFound(f"Annotation {annotation_id} not found")
    return annotation


def _box(version: DocumentVersion, page: int) -> list[float]:
    if not 1 <= page <= version.page_count:
        raise Invalid(
            f"Page {page} is outside the document (1–{version.page_count})",
            code="invalid_page",
            fields=["page"],
        )
    return version.page_boxes[page - 1]


def _inside(box: list[float], x: float, y: float) -> bool:
    return (box[0] - TOLERANCE <= x <= box[2] + TOLERANCE) and (box[1] - TOLERANCE <= y <= box[3] + TOLERANCE)


def _finite(*values: float) -> bool:
    return all(math.isfinite(v) for v in values)


def _check_rects(box, rects: list[list[float]]) -> list[list[float]]:
    if len(rects) > MAX_RECTS:
        raise Invalid(f"At most {MAX_RECTS} rectangles", fields=["rects"])
    normalized = []
    for rect in rects:
        x1, y1, x2, y2 = rect
        if not _finite(x1, y1, x2, y2) or not (_inside(box, x1, y1) and _inside(box, x2, y2)):
            raise Invalid("A rectangle lies outside the page", code="off_page", fields=["rects"])
        normalized.append([min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)])
    return normalized


def _check_paths(box, paths: list[list[list[float]]]) -> list[list[list[float]]]:
    if len(paths) > MAX_PATHS or any(len(p) > MAX_POINTS for p in paths):
        raise Invalid(f"At most {MAX_PATHS} strokes of {MAX_POINTS} points", fields=["paths"])
    for path in paths:
        if not path:
            raise Invalid("A stroke needs at least one point", fields=["paths"])
        for x, y in path:
            if not _finite(x, y) or not _inside(box, x, y):
                raise Invalid("A stroke leaves the page", code="off_page", fields=["paths"])
    return paths


def fits_on_page(box: list[float], rects, paths) -> bool:
    """Whether geometry lies on a page of this media box, as that of a drawn annotation must."""
    try:
        if rects:
            _check_rects(box, rects)
        if paths:
            _check_paths(box, paths)
    except Invalid:
        return False
    return True


def _validate(version: DocumentVersion, page: int, kind: str, rects, paths, text) -> tuple:
    if kind not in KINDS:
        raise Invalid(
            f"Unknown kind {kind!r}; one of {', '.join(KINDS)}", code="invalid_kind", fields=["kind"]
        )
    box = _box(version, page)
    # Geometry of the other shape is refused, not dropped: the tablet would believe it was kept.
    if kind == "ink" and rects:
        raise Invalid("Ink is drawn with `paths`, not `rects`", fields=["rects"])
    if kind != "ink" and paths:
        raise Invalid(f"A {kind} is placed with `rects`, not `paths`", fields=["paths"])
    if kind in TEXT_MARKS:
        if not rects:
            raise Invalid(f"A {kind} needs `rects`", fields=["rects"])
        return _check_rects(box, rects), None, text
    if kind == "ink":
        if not paths:
            raise Invalid("Ink needs `paths`", fields=["paths"])
        return None, _check_paths(box, paths), text
    if not text or not text.strip():
        raise Invalid(f"A {kind} needs `text`", fields=["text"])
    if not rects or len(rects) != 1:
        raise Invalid(f"A {kind} needs exactly one rect", fields=["rects"])
    return _check_rects(box, rects), None, text


def create(
    user: User,
    document_id: int,
    *,
    version: int,
    page: int,
    kind: str,
    rects=None,
    paths=None,
    color: str | None = None,
    text: str | None = None,
    quote: str | None = None,
    shared: bool = False,
    client_id: str | None = None,
) -> tuple[Annotation, bool]:
    """The annotation, and whether it is new (False: a retry of one already saved)."""
    document = documents.get_document(user, document_id)
    if client_id:
        existing = _by_client_id(user, client_id)
        if existing is not None:
            return existing, False
    target = document.version(version)
    if target is None:
        raise Invalid(
            f"Document {document_id} has no version {version}", code="unknown_version", fields=["version"]
        )
    rects, paths, text = _validate(target, page, kind, rects, paths, text)
    _check_room(user, target)
    annotation = Annotation(
        document_id=document.id,
        version_id=target.id,
        user_id=user.id,
        page=page,
        kind=kind,
        rects=rects,
        paths=paths,
        color=(color or DEFAULT_COLORS[kind]).upper(),
        text=text,
        quote=quote,
        shared=shared,
        client_id=client_id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(annotation)
    except IntegrityError:
        # The same tablet's retry raced the first attempt: the first one stands.
        existing = _by_client_id(user, client_id) if client_id else None
        if existing is None:
            raise
        return existing, False
    _changed(user, annotation, "created")
    return annotation, True


def _check_room(user: User, version: DocumentVersion) -> None:
    """One member's marks on one version are bounded: each is stored, listed and drawn into their copy."""
    most = current_app.config["ECABINET_MAX_ANNOTATIONS"]
    kept = db.session.scalar(
        select(func.count()).where(Annotation.version_id == version.id, Annotation.user_id == user.id)
    )
    if kept >= most:
        raise Conflict(
            f"You keep {most} annotations on this version already; delete some first",
            code="too_many_annotations",
        )


def _by_client_id(user: User, client_id: str) -> Annotation | None:
    return db.session.scalar(
        select(Annotation).where(Annotation.user_id == user.id, Annotation.client_id == client_id)
    )


def update(user: User, annotation_id: int, **changes) -> Annotation:
    annotation = owned(user, annotation_id)
    if changes.get("kind") not in (None, annotation.kind):
        raise Invalid(
            f"An annotation stays a {annotation.kind}: delete it and draw a {changes['kind']} instead",
            code="invalid_kind",
            fields=["kind"],
        )
    if changes.get("version") not in (None, annotation.version.number):
        raise Invalid(
            f"An annotation stays on the version it was made on (version {annotation.version.number})",
            code="unknown_version",
            fields=["version"],
        )
    page = changes.get("page") or annotation.page
    rects = changes.get("rects", annotation.rects)
    paths = changes.get("paths", annotation.paths)
    text = changes.get("text", annotation.text)
    annotation.rects, annotation.paths, annotation.text = _validate(
        annotation.version, page, annotation.kind, rects, paths, text
    )
    annotation.page = page
    if changes.get("color"):
        annotation.color = changes["color"].upper()
    if "quote" in changes:
        annotation.quote = changes["quote"]
    if changes.get("shared") is not None:
        annotation.shared = changes["shared"]
    _changed(user, annotation, "updated")
    return annotation


def delete(user: User, annotation_id: int) -> None:
    annotation = owned(user, annotation_id)
    _changed(user, annotation, "deleted")
    db.session.delete(annotation)


def _changed(user: User, annotation: Annotation, action: str) -> None:
    db.session.flush()
    # The note's words stay private: the log says only where a mark was made and whether it is shared.
    audit.record(
        user,
        f"annotation.{action}",
        annotation,
        {
            "document_id": annotation.document_id,
            "page": annotation.page,
            "kind": annotation.kind,
            "shared": annotation.shared,
        },
    )
    publisher.publish_to_user(
        user.id,
        "annotation.changed",
        {"action": action, "document_id": annotation.document_id, "annotation": serialize(user, annotation)},
    )


def serialize(user: User, a: Annotation) -> dict:
    return {
        "id": a.id,
        "document_id": a.document_id,
        "version": a.version.number,
        "version_id": a.version_id,
        "page": a.page,
        "kind": a.kind,
        "rects": a.rects,
        "paths": a.paths,
        "color": a.color,
        "text": a.text,
        "quote": a.quote,
        "shared": a.shared,
        "carried_from": a.carried_from_id,
        "client_id": a.client_id if a.user_id == user.id else None,
        "mine": a.user_id == user.id,
        "author": {"id": a.user_id, "full_name": a.user.full_name},
        "created_at": iso(a.created_at),
        "updated_at": iso(a.updated_at),
    }
