from __future__ import annotations

from flask import Blueprint, jsonify

from ecabinet.common.api import actor, body, may
from ecabinet.common.input import Body, Text
from ecabinet.common.openapi import doc
from ecabinet.retention import service
from ecabinet.retention.serialize import retention

bp = Blueprint("retention", __name__)


class HoldBody(Body):
    reason: Text


@bp.post("/meetings/<int:meeting_id>/hold")
@may(service.held_meeting)
@doc(
    "Place a legal hold on a meeting: nothing of it is destroyed while held (audited with the reason)",
    who="admin",
    body=HoldBody,
    returns="the meeting's retention: `meeting_id`, `retention_days`, `notes_destroyed_at`, `held`, `hold`",
    errors=(403, 404, 409),
)
def hold_meeting(meeting_id: int):
    data = body(HoldBody)
    return jsonify(retention(actor(), service.hold(actor(), meeting_id, data.reason)))


@bp.delete("/meetings/<int:meeting_id>/hold")
@may(service.held_meeting)
@doc(
    "Lift a meeting's legal hold (audited with the hold's reason); its retention applies again",
    who="admin",
    returns="the meeting's retention",
    errors=(403, 404, 409),
)
def release_meeting(meeting_id: int):
    return jsonify(retention(actor(), service.release(actor(), meeting_id)))
