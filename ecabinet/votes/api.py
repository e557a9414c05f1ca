from __future__ import annotations

from typing import Annotated, Literal

from flask import Blueprint, jsonify
from pydantic import Field, StringConstraints

from ecabinet.common.api import actor, body, created, may, written_elsewhere
from ecabinet.common.input import Body, ClientId, Id, LongText
from ecabinet.common.openapi import doc
from ecabinet.meetings import service as meetings
from ecabinet.votes import casting, service

bp = Blueprint("votes", __name__)

Option = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]


class VoteCreateBody(Body):
    question: Annotated[LongText, StringConstraints(strip_whitespace=True, min_length=1)]
    agenda_item_id: Id | None = None
    secret: bool = False
    options: list[Option] | None = Field(None, min_length=2, max_length=20)
    majority: Literal["simple", "absolute", "two_thirds"] = Field(
        "absolute",
        description="simple: yes > no; absolute: yes > half of all eligible; two_thirds: yes ≥ 2/3 of eligible",
    )
    chair_breaks_tie: bool = True


class CastBody(Body):
    choice: str = Field(max_length=40)
    client_id: ClientId | None = Field(
        None, description="made on the tablet; the same again after a lost answer returns the recorded cast"
    )


@bp.post("/meetings/<int:meeting_id>/votes")
@may(meetings.run_meeting)
@doc(
    "Put a question to the vote (draft)",
    who="secretariat, chair",
    body=VoteCreateBody,
    status=201,
    returns="{id, status: draft, …}",
    errors=(403, 404, 409),
)
def create_vote(meeting_id: int):
    data = body(VoteCreateBody)
    user = actor()
    return created(service.serialize(user, service.create_vote(user, meeting_id, **data.model_dump())))


@bp.get("/meetings/<int:meeting_id>/votes")
@doc("The meeting's votes", who="participant, secretariat", returns="list of votes", errors=(404,))
def list_votes(meeting_id: int):
    user = actor()
    return jsonify([service.serialize(user, v) for v in service.list_votes(user, meeting_id)])


@bp.get("/votes/<int:vote_id>")
@doc(
    "A vote: counts for everyone once closed (for the chair and secretariat while open), voters for named votes",
    who="participant",
    returns="{id, question, status, secret, options, eligible, cast, counts?, passed?, voters?}",
    errors=(404,),
)
def get_vote(vote_id: int):
    user = actor()
    return jsonify(service.serialize(user, service.get_vote(user, vote_id)))


@bp.post("/votes/<int:vote_id>/open")
@may(service.runnable_vote)
@doc(
    "Open the vote; another vote of the meeting open → 409 `vote_already_open` naming it (`vote_id`, "
    "`question`); opening without a quorum is allowed and recorded (`vote.opened` event's `attendance`)",
    who="secretariat, chair",
    returns="the vote",
    errors=(403, 404, 409),
)
def open_vote(vote_id: int):
    user = actor()
    return jsonify(service.serialize_opened(user, service.open_vote(user, vote_id)))


@bp.post("/votes/<int:vote_id>/close")
@may(service.runnable_vote)
@doc(
    "Close the vote and decide it",
    who="secretariat, chair",
    returns="the vote with counts and passed",
    errors=(403, 404, 409),
)
def close_vote(vote_id: int):
    user = actor()
    return jsonify(service.serialize(user, service.close_vote(user, vote_id)))


@bp.post("/votes/<int:vote_id>/cast")
@written_elsewhere
@may(casting.may_cast)
@doc(
    "Cast your vote (once; final)",
    who="member taking part",
    body=CastBody,
    status=201,
    returns="the vote as you now see it",
    also={
        200: "the same `client_id` again from the same member (a retry after a lost answer): the vote with "
        "the cast recorded earlier — for a named vote its `choice`, for a secret one only that you voted"
    },
    errors=(403, 404, 409),
)
def cast(vote_id: int):
    data = body(CastBody)
    recorded = casting.cast(actor(), vote_id, data.choice, data.client_id)
    return jsonify(recorded.vote), 201 if recorded.new else 200
