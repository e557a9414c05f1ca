from flask import Blueprint, jsonify

from ecabinet.common.api import actor, may
from ecabinet.common.openapi import doc
from ecabinet.speakers import service

bp = Blueprint("speakers", __name__)


def _list(item) -> list[dict]:
    return [service.serialize(r) for r in service.speakers(item)]


@bp.get("/agenda/<int:item_id>/speakers")
@doc(
    "Speakers of an item, in the order they asked, each `waiting`, `speaking` or `done`",
    who="participant",
    returns="list of {id, user_id, full_name, state, …}",
    errors=(403, 404),
)
def list_speakers(item_id: int):
    return jsonify([service.serialize(r) for r in service.list_for(actor(), item_id)])


@bp.post("/agenda/<int:item_id>/speakers")
@may(service.participants_item)
@doc("Ask for the floor", who="participant", returns="the list", errors=(403, 404, 409))
def request_floor(item_id: int):
    return jsonify(_list(service.request_floor(actor(), item_id)))


@bp.delete("/agenda/<int:item_id>/speakers")
@may(service.participants_item)
@doc("Withdraw your request for the floor", who="participant", returns="the list", errors=(403, 404, 409))
def withdraw(item_id: int):
    return jsonify(_list(service.withdraw(actor(), item_id)))


@bp.post("/speakers/<int:request_id>/start")
@may(service.runnable_request)
@doc(
    "Give the floor (ends the current speaker's turn)",
    who="secretariat, chair",
    returns="the list",
    errors=(403, 404, 409),
)
def start(request_id: int):
    return jsonify(_list(service.start(actor(), request_id)))


@bp.post("/speakers/<int:request_id>/finish")
@may(service.runnable_request)
@doc("End the speaker's turn", who="secretariat, chair", returns="the list", errors=(403, 404, 409))
def finish(request_id: int):
    return jsonify(_list(service.finish(actor(), request_id)))
