from __future__ import annotations

from typing import Literal

from flask import Blueprint, jsonify
from pydantic import Field

from ecabinet.common.api import actor, body, created, may, no_content
from ecabinet.common.input import MAX_IDS, Body, Id, Ids, LongText, Text, Time
from ecabinet.common.openapi import doc
from ecabinet.meetings import serialize, service

bp = Blueprint("meetings", __name__)

Minutes = Field(None, ge=1, le=24 * 60)
RetentionDays = Field(
    None,
    ge=0,
    le=36500,
    description="days after closing that members' private annotations are kept; null: ECABINET_RETENTION_DAYS",
)


class MeetingCreateBody(Body):
    title: Text
    starts_at: Time
    ends_at: Time | None = None
    location: str | None = Field(None, max_length=300)
    chair_id: Id | None = None
    participants: Ids = Field(default_factory=list)
    kind: Literal["regular", "thematic", "extraordinary"] = "regular"
    quorum_numerator: int = Field(2, ge=1, le=100)
    quorum_denominator: int = Field(3, ge=1, le=100)
    require_checkin_to_vote: bool = False
    positions_visible: bool = Field(
        False,
        description="members see each other's positions on the items (the chair and the secretariat always do)",
    )
    watermark: Literal["confidential", "all", "none"] = Field(
        "confidential",
        description="whose downloads carry the reader's name: confidential items' documents, all, none",
    )
    retention_days: int | None = RetentionDays


class StandInBody(Body):
    user_id: Id = Field(description="the participant who attends")
    for_user_id: Id = Field(description="the member they stand in for")


class MeetingUpdateBody(Body):
    title: Text | None = None
    starts_at: Time | None = None
    ends_at: Time | None = None
    location: str | None = Field(None, max_length=300)
    chair_id: Id | None = None
    participants: Ids | None = None
    kind: Literal["regular", "thematic", "extraordinary"] | None = None
    quorum_numerator: int | None = Field(None, ge=1, le=100)
    quorum_denominator: int | None = Field(None, ge=1, le=100)
    watermark: Literal["confidential", "all", "none"] | None = None
    require_checkin_to_vote: bool | None = None
    retention_days: int | None = RetentionDays
    positions_visible: bool | None = None
    stand_ins: list[StandInBody] | None = Field(
        None, max_length=MAX_IDS, description="who attends in place of which member"
    )
    clerks_not_cleared: list[Id] | None = Field(
        None,
        max_length=MAX_IDS,
        description="participants holding the clerk role who are NOT cleared for this meeting's confidential "
        "items (the meeting's clerks are cleared by default); the full list each time",
    )


class ItemCreateBody(Body):
    title: Text
    parent_id: Id | None = None
    presenter: str | None = Field(None, max_length=300)
    description: LongText | None = None
    duration_minutes: int | None = Minutes
    confidential: bool = False
    restricted_to: Ids = Field(default_factory=list)
    consent: bool = Field(False, description="in the consent block: adopted without discussion")


class ItemUpdateBody(Body):
    title: Text | None = None
    parent_id: Id | None = None
    presenter: str | None = Field(None, max_length=300)
    description: LongText | None = None
    duration_minutes: int | None = Minutes
    confidential: bool | None = None
    restricted_to: Ids | None = None
    consent: bool | None = None


class OrderBody(Body):
    order: Ids
    parent_id: Id | None = Field(None, description="reorder the sub-items of this item instead")


class CurrentBody(Body):
    agenda_item_id: Id


@bp.post("/meetings")
@may(service.may_prepare_meetings)
@doc(
    "Create a meeting (draft)",
    who="secretariat",
    body=MeetingCreateBody,
    status=201,
    returns="the meeting",
    errors=(403,),
)
def create_meeting():
    data = body(MeetingCreateBody)
    meeting = service.create_meeting(actor(), **data.model_dump())
    return created(serialize.meeting(actor(), meeting, with_agenda=True))


@bp.get("/meetings")
@doc("Meetings the caller may see", returns="list of meetings, by start time")
def list_meetings():
    user = actor()
    return jsonify([serialize.meeting(user, m) for m in service.list_meetings(user)])


@bp.get("/meetings/<int:meeting_id>")
@doc(
    "A meeting with its agenda (each item with its documents)",
    who="participant, secretariat",
    returns="the meeting with `agenda`",
    errors=(404,),
)
def get_meeting(meeting_id: int):
    user = actor()
    return jsonify(serialize.meeting(user, service.get_meeting(user, meeting_id), with_agenda=True))


@bp.patch("/meetings/<int:meeting_id>")
@may(service.managed_meeting)
@doc(
    "Change a meeting",
    who="secretariat",
    body=MeetingUpdateBody,
    returns="the meeting",
    errors=(403, 404, 409),
)
def update_meeting(meeting_id: int):
    data = body(MeetingUpdateBody)
    meeting = service.update_meeting(actor(), meeting_id, **data.model_dump(exclude_unset=True))
    return jsonify(serialize.meeting(actor(), meeting, with_agenda=True))


def _transition(action: str):
    def view(meeting_id: int):
        return jsonify(serialize.meeting(actor(), service.change_status(actor(), meeting_id, action)))

    view.__name__ = f"{action}_meeting"
    target = {"publish": "published", "start": "in_progress", "close": "closed"}[action]
    notes = {
        "publish": "",
        "start": "; opening without a quorum is allowed and recorded (`quorum_at_start`, the audit entry, "
        "the `meeting.status` event's `attendance`)",
        "close": "; refused while a vote is open: 409 `vote_open` with that vote's `vote_id` and `question`",
    }
    doc(
        f"{action.capitalize()} the meeting (→ {target}){notes[action]}",
        who="secretariat" if action == "publish" else "secretariat, chair",
        returns="the meeting",
        errors=(403, 404, 409),
    )(view)
    bp.post(f"/meetings/<int:meeting_id>/{action}")(may(service.may_change_status(action))(view))


for _action in service.TRANSITIONS:
    _transition(_action)


@bp.post("/meetings/<int:meeting_id>/agenda")
@may(service.managed_meeting)
@doc(
    "Add an agenda item",
    who="secretariat",
    body=ItemCreateBody,
    status=201,
    returns="the item",
    errors=(403, 404, 409),
)
def add_item(meeting_id: int):
    data = body(ItemCreateBody)
    user = actor()
    return created(serialize.item(user, service.add_item(user, meeting_id, **data.model_dump())))


@bp.get("/meetings/<int:meeting_id>/agenda")
@doc(
    "The agenda the caller may see, in order (depth first)",
    who="participant, secretariat",
    returns="list of items",
    errors=(404,),
)
def get_agenda(meeting_id: int):
    user = actor()
    return jsonify(serialize.agenda(user, service.get_meeting(user, meeting_id)))


@bp.get("/agenda/<int:item_id>")
@doc("One agenda item", who="whoever may see it", returns="the item", errors=(404,))
def get_item(item_id: int):
    user = actor()
    return jsonify(serialize.item(user, service.get_item(user, item_id)))


@bp.patch("/agenda/<int:item_id>")
@may(service.managed_item)
@doc(
    "Change an agenda item (title, presenter, nesting, confidentiality …)",
    who="secretariat",
    body=ItemUpdateBody,
    returns="the item",
    errors=(403, 404, 409),
)
def update_item(item_id: int):
    data = body(ItemUpdateBody)
    user = actor()
    return jsonify(
        serialize.item(user, service.update_item(user, item_id, **data.model_dump(exclude_unset=True)))
    )


@bp.delete("/agenda/<int:item_id>")
@may(service.managed_item)
@doc(
    "Remove an agenda item with its sub-items",
    who="secretariat",
    status=204,
    returns="nothing",
    errors=(403, 404, 409),
)
def delete_item(item_id: int):
    service.delete_item(actor(), item_id)
    return no_content()


@bp.post("/meetings/<int:meeting_id>/agenda/order")
@may(service.managed_meeting)
@doc(
    "Reorder the top-level items (or one item's sub-items)",
    who="secretariat",
    body=OrderBody,
    returns="the agenda in its new order",
    errors=(403, 404, 409),
)
def reorder(meeting_id: int):
    data = body(OrderBody)
    user = actor()
    meeting = service.reorder(user, meeting_id, data.order, data.parent_id)
    return jsonify(serialize.agenda(user, meeting))


@bp.post("/meetings/<int:meeting_id>/current")
@may(service.run_meeting)
@doc(
    "Set the item under discussion",
    who="secretariat, chair",
    body=CurrentBody,
    returns="the item",
    errors=(403, 404, 409),
)
def set_current(meeting_id: int):
    data = body(CurrentBody)
    user = actor()
    return jsonify(serialize.item(user, service.set_current_item(user, meeting_id, data.agenda_item_id)))


@bp.post("/meetings/<int:meeting_id>/attendance")
@may(service.taking_part)
@doc("Check the caller in", who="participant", returns="{present, quorum, …}", errors=(403, 404, 409))
def check_in(meeting_id: int):
    return jsonify(serialize.attendance(service.check_in(actor(), meeting_id)))


@bp.get("/meetings/<int:meeting_id>/attendance")
@doc(
    "Who is present and whether quorum is reached",
    who="participant, secretariat",
    returns="{present, quorum, …}",
    errors=(404,),
)
def get_attendance(meeting_id: int):
    return jsonify(serialize.attendance(service.get_meeting(actor(), meeting_id)))
