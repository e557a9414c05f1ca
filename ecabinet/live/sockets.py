"""Socket.IO: who may connect, joining a meeting's rooms, and catching up after a reconnect.

A socket authenticates once, at connect, with the bearer token (`auth: {token}`) or the login
cookie; anything else is refused. `join` checks the meeting's visibility with the same permission
functions as the API and puts the socket in the rooms the publisher sends to.
"""

from __future__ import annotations

import threading

from flask import request
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, join_room, leave_room

from ecabinet.auth import service as auth
from ecabinet.auth.models import User
from ecabinet.common.input import MAX_INT
from ecabinet.errors import DomainError
from ecabinet.extensions import db, socketio
from ecabinet.live import publisher
from ecabinet.meetings import access
from ecabinet.meetings import service as meetings

# sid → user id, for this process's own sockets (a socket lives in the process that accepted it).
_socket_users: dict[str, int] = {}
_lock = threading.Lock()


def _user_from_handshake(auth_data) -> User | None:
    token = auth_data.get("token") if isinstance(auth_data, dict) else None
    if isinstance(token, str) and token:
        return auth.user_for_token(token)
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return auth.user_for_token(header[7:].strip())
    if current_user.is_authenticated:
        return current_user._get_current_object()
    return None


@socketio.on("connect")
def on_connect(auth_data=None):
    user = _user_from_handshake(auth_data)
    if user is None:
        raise ConnectionRefusedError(
            {"code": "unauthorized", "message": "Log in first: a valid token is required"}
        )
    with _lock:
        _socket_users[request.sid] = user.id
    join_room(publisher.user_room(user.id))


@socketio.on("disconnect")
def on_disconnect(*_args):
    with _lock:
        _socket_users.pop(request.sid, None)


def _socket_user() -> User | None:
    with _lock:
        user_id = _socket_users.get(request.sid)
    user = db.session.get(User, user_id) if user_id else None
    return user if user is not None and user.active else None


def _error(code: str, message: str) -> dict:
    return {"ok": False, "error": {"code": code, "message": message}}


@socketio.on("join")
def on_join(data=None):
    user = _socket_user()
    if user is None:
        return _error("unauthorized", "Not logged in")
    meeting_id = data.get("meeting_id") if isinstance(data, dict) else None
    if not isinstance(meeting_id, int) or isinstance(meeting_id, bool):
        return _error("invalid_input", "`meeting_id` must be an integer")
    if not 0 < meeting_id <= MAX_INT:  # larger than any id column holds: no such meeting, as over HTTP
        return _error("not_found", f"Meeting {meeting_id} not found")
    try:
        meeting = meetings.get_meeting(user, meeting_id)
    except DomainError as exc:
        return _error(exc.code, exc.message)
    runner = access.can_run_meeting(user, meeting)
    join_room(publisher.meeting_room(meeting.id, runner=runner))
    join_room(publisher.meeting_user_room(meeting.id, user.id))
    return {"ok": True, "seq": publisher.latest_seq(meeting)}


@socketio.on("leave")
def on_leave(data=None):
    meeting_id = data.get("meeting_id") if isinstance(data, dict) else None
    if isinstance(meeting_id, int):
        for runner in (True, False):
            leave_room(publisher.meeting_room(meeting_id, runner=runner))
        user = _socket_user()
        if user is not None:
            leave_room(publisher.meeting_user_room(meeting_id, user.id))
    return {"ok": True}
