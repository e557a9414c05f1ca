from __future__ import annotations

from typing import Annotated, Literal

from flask import Blueprint, jsonify
from pydantic import Field, StringConstraints

from ecabinet.annotations import carry, service
from ecabinet.annotations.export import annotated_for
from ecabinet.annotations.models import KINDS
from ecabinet.annotations.service import MAX_PATHS, MAX_POINTS, MAX_RECTS
from ecabinet.common.api import actor, body, created, may, no_content, query_int, send_pdf, writes
from ecabinet.common.input import Body, ClientId
from ecabinet.common.openapi import doc
from ecabinet.documents import service as documents

bp = Blueprint("annotations", __name__)

Number = float | int
Rect = Annotated[list[Number], Field(min_length=4, max_length=4)]
Point = Annotated[list[Number], Field(min_length=2, max_length=2)]
# Bounded in the body itself: an ink stroke of a million points is refused as it is read.
Rects = Annotated[list[Rect], Field(max_length=MAX_RECTS)]
Paths = Annotated[list[Annotated[list[Point], Field(max_length=MAX_POINTS)]], Field(max_length=MAX_PATHS)]
Color = Annotated[str, StringConstraints(pattern=r"^#[0-9A-Fa-f]{6}$")]


class AnnotationBody(Body):
    version: int = Field(ge=1)
    page: int = Field(ge=1)
    kind: Literal[KINDS]  # type: ignore[valid-type]
    rects: Rects | None = None
    paths: Paths | None = None
    color: Color | None = None
    text: str | None = Field(None, max_length=10000)
    quote: str | None = Field(None, max_length=10000)
    shared: bool = False
    client_id: ClientId | None = None


class AnnotationUpdateBody(Body):
    # Kind and version cannot change; they are accepted (a tablet may send the whole annotation back)
    # and must then be the annotation's own.
    version: int | None = Field(None, ge=1)
    kind: Literal[KINDS] | None = None  # type: ignore[valid-type]
    page: int | None = Field(None, ge=1)
    rects: Rects | None = None
    paths: Paths | None = None
    color: Color | None = None
    text: str | None = Field(None, max_length=10000)
    quote: str | None = Field(None, max_length=10000)
    shared: bool | None = None


@bp.get("/documents/<int:document_id>/annotations")
@doc(
    "The caller's annotations on a version (latest by default, `?version=N`), plus others' shared ones",
    who="whoever may see the document",
    returns="list of annotations",
    errors=(404,),
)
def list_annotations(document_id: int):
    user = actor()
    found = service.list_for(user, document_id, query_int("version", minimum=1))
    return jsonify([service.serialize(user, a) for a in found])


@bp.get("/documents/<int:document_id>/annotations/left-behind")
@doc(
    "The caller's annotations of the previous version that were not found in this version "
    "(latest by default, `?version=N`); they stay on the version they were made on",
    who="whoever may see the document",
    returns="list of annotations",
    errors=(404,),
)
def left_behind(document_id: int):
    user = actor()
    version = documents.get_version(user, document_id, query_int("version", minimum=1))
    return jsonify([service.serialize(user, a) for a in carry.left_behind(user, version)])


@bp.post("/documents/<int:document_id>/annotations")
@may(documents.get_document)
@doc(
    "Save an annotation; a repeated `client_id` returns the one already saved",
    who="whoever may see the document",
    body=AnnotationBody,
    status=201,
    returns="the annotation",
    errors=(404, 409),
)
def create_annotation(document_id: int):
    data = body(AnnotationBody)
    user = actor()
    annotation, _is_new = service.create(user, document_id, **data.model_dump())
    return created(service.serialize(user, annotation))


@bp.patch("/annotations/<int:annotation_id>")
@may(service.owned)
@doc(
    "Change your annotation (geometry, colour, text, sharing)",
    who="its author",
    body=AnnotationUpdateBody,
    returns="the annotation",
    errors=(404,),
)
def update_annotation(annotation_id: int):
    data = body(AnnotationUpdateBody)
    user = actor()
    return jsonify(
        service.serialize(user, service.update(user, annotation_id, **data.model_dump(exclude_unset=True)))
    )


@bp.delete("/annotations/<int:annotation_id>")
@may(service.owned)
@doc("Delete your annotation", who="its author", status=204, returns="nothing", errors=(404,))
def delete_annotation(annotation_id: int):
    service.delete(actor(), annotation_id)
    return no_content()


@bp.get("/documents/<int:document_id>/annotated.pdf")
@writes
@doc(
    "The PDF with the caller's annotations written in as real PDF annotations",
    who="whoever may see the document",
    binary="application/pdf",
    returns="the PDF",
    errors=(404,),
)
def annotated_pdf(document_id: int):
    user = actor()
    version = documents.get_version(user, document_id, query_int("version", minimum=1))
    return send_pdf(annotated_for(user, version), f"{version.document.title} (ghi chú).pdf")
