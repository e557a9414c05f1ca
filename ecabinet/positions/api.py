from typing import Literal

from flask import Blueprint, jsonify
from pydantic import Field

from ecabinet.common.api import actor, body, may
from ecabinet.common.input import Body, LongText
from ecabinet.common.openapi import doc
from ecabinet.meetings import service as meetings
from ecabinet.positions import service
from ecabinet.positions.models import Position

bp = Blueprint("positions", __name__)


class PositionBody(Body):
    position: Literal["no_objection", "object", "wish_to_speak"]
    comment: LongText | None = Field(
        None, description="why the member objects (required for `object`), or a note"
    )


def _position(p: Position) -> dict:
    return {
        "agenda_item_id": p.agenda_item_id,
        "user_id": p.user_id,
        "position": p.position,
        "comment": p.comment,
    }


@bp.put("/agenda/<int:item_id>/position")
@may(service.positioning_item)
@doc(
    "State the caller's position on an item before the session (from publishing until the start)",
    who="member taking part",
    body=PositionBody,
    returns="the caller's position {agenda_item_id, user_id, position, comment}",
    errors=(400, 403, 404, 409),
)
def state(item_id: int):
    data = body(PositionBody)
    return jsonify(_position(service.state(actor(), item_id, data.position, data.comment)))


@bp.get("/meetings/<int:meeting_id>/positions")
@doc(
    "The members' positions per item, in agenda order: everyone's for the chair and the secretariat "
    "(and for members when the meeting has `positions_visible`), the caller's own otherwise",
    who="participant, secretariat",
    returns="[{agenda_item_id, consent, counts: {no_objection, object, wish_to_speak, none}, "
    "positions: [{user_id, position, comment}]}]; `none` counts the members taking part who may see the item and have not answered",
    errors=(403, 404),
)
def table(meeting_id: int):
    user = actor()
    rows, everyone = service.table(user, meeting_id)
    return jsonify(
        [
            {
                "agenda_item_id": row.item.id,
                "consent": row.item.consent,
                "counts": row.counts,
                "positions": [
                    {"user_id": p.user_id, "position": p.position, "comment": p.comment}
                    for p in row.positions
                    if everyone or p.user_id == user.id
                ],
            }
            for row in rows
        ]
    )


@bp.post("/meetings/<int:meeting_id>/consent/mark")
@may(meetings.managed_meeting)
@doc(
    "Put every item no member objected to or asked to speak on into the consent block",
    who="secretariat",
    returns="{marked: [item_id]}: the items newly marked",
    errors=(403, 404, 409),
)
def mark_consent(meeting_id: int):
    return jsonify({"marked": [i.id for i in service.mark_consent(actor(), meeting_id)]})


@bp.post("/meetings/<int:meeting_id>/consent/adopt")
@may(meetings.run_meeting)
@doc(
    "Adopt the consent block: each item with `consent: true` decided without discussion (once per session)",
    who="secretariat, chair",
    returns="{adopted: [item_id]}",
    errors=(403, 404, 409),
)
def adopt_consent(meeting_id: int):
    return jsonify({"adopted": [i.id for i in service.adopt_consent(actor(), meeting_id)]})
