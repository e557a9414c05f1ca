from flask import Blueprint, jsonify

from ecabinet.common.api import actor, query_int
from ecabinet.common.openapi import doc
from ecabinet.meetings import events as meeting_events
from ecabinet.meetings import service as meetings

bp = Blueprint("live", __name__)


@bp.get("/meetings/<int:meeting_id>/events")
@doc(
    "Live events after `after` (default 0), in order; at most `limit` (default 1000)",
    who="participant, secretariat",
    returns="list of {seq, type, meeting_id, data, at}",
    errors=(404,),
    query={
        "after": {"type": "integer", "minimum": 0, "description": "the last `seq` the caller has"},
        "limit": {"type": "integer", "minimum": 1, "maximum": 1000, "description": "at most this many"},
    },
)
def events(meeting_id: int):
    user = actor()
    meeting = meetings.get_meeting(user, meeting_id)
    after = query_int("after", default=0)
    limit = min(query_int("limit", default=1000, minimum=1), 1000)
    return jsonify(meeting_events.events_after(user, meeting, after, limit))
