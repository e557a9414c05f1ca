from __future__ import annotations

from flask import Blueprint, jsonify, request, session

from ecabinet.auth import service as auth
from ecabinet.common.api import actor, any_user, bearer_token, may, no_content
from ecabinet.common.openapi import doc
from ecabinet.common.pages import PAGE_SESSION_KEY
from ecabinet.devices import service

bp = Blueprint("devices", __name__)

DEVICE = "{id, name, current, created_at, last_seen_at, address, user_agent, wiped}"


def _calling_token() -> str | None:
    """The token of the login this call came with (`current` in the list)."""
    if request.headers.get("Authorization"):
        return bearer_token()
    return session.get(PAGE_SESSION_KEY)


@bp.get("/me/devices")
@doc("The caller's logins (devices), oldest first", returns=f"list of {DEVICE}")
def my_devices():
    return jsonify(service.listed(actor(), actor(), _calling_token()))


@bp.delete("/me/devices/<int:device_id>")
@may(any_user)
@doc("Revoke one of the caller's logins: it must log in again", status=204, returns="nothing", errors=(404,))
def revoke_my_device(device_id: int):
    service.revoke_device(actor(), actor(), device_id)
    return no_content()


@bp.post("/me/devices/<int:device_id>/wipe")
@may(any_user)
@doc(
    "Wipe one of the caller's logins: its next call answers 401 `device_wiped`, and the pages' script "
    "deletes what the app keeps in that browser",
    returns=DEVICE,
    errors=(404,),
)
def wipe_my_device(device_id: int):
    return jsonify(
        service.serialize_device(service.wipe_device(actor(), actor(), device_id), _calling_token())
    )


@bp.get("/users/<int:user_id>/devices")
@doc("A user's logins (devices), oldest first", who="admin", returns=f"list of {DEVICE}", errors=(403, 404))
def user_devices(user_id: int):
    return jsonify(service.listed(actor(), service.user_devices(actor(), user_id), _calling_token()))


@bp.delete("/users/<int:user_id>/devices/<int:device_id>")
@may(auth.require_admin)
@doc("Revoke one of a user's logins", who="admin", status=204, returns="nothing", errors=(403, 404))
def revoke_user_device(user_id: int, device_id: int):
    service.revoke_device(actor(), service.user_devices(actor(), user_id), device_id)
    return no_content()


@bp.post("/users/<int:user_id>/devices/<int:device_id>/wipe")
@may(auth.require_admin)
@doc("Wipe one of a user's logins", who="admin", returns=DEVICE, errors=(403, 404))
def wipe_user_device(user_id: int, device_id: int):
    owner = service.user_devices(actor(), user_id)
    return jsonify(service.serialize_device(service.wipe_device(actor(), owner, device_id), _calling_token()))
