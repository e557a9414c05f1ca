"""Socket.IO: who may connect, joining a meeting's rooms, and catching up after a reconnect.

A socket authenticates at connect, with the bearer token (`auth: {token}`) or the login cookie;
anything else is refused. `join` checks the meeting's visibility with the same permission functions
as the API and puts the socket in the rooms the publisher sends to. Both are checked again when they
may have changed (below), so that a socket keeps only what its user may still see.

Every few seconds each joined socket also gets a `heartbeat` {meeting_id, seq} with the meeting's
latest `seq`. Events between server processes travel through the message queue (Redis); while it is
down, and until the processes have subscribed again (up to a minute after it is back), events made
through another process never arrive, and nothing else would tell a tablet. A tablet behind the
heartbeat's `seq` asks `GET /meetings/<id>/events?after=` for what it missed: a lost event costs
seconds, not the session.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from flask import current_app, request, session
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, join_room, leave_room
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import selectinload

from ecabinet.auth import service as auth
from ecabinet.auth.models import User
from ecabinet.common.input import MAX_INT
from ecabinet.common.pages import PAGE_SESSION_KEY
from ecabinet.errors import DeviceWiped, DomainError, Unauthorized
from ecabinet.extensions import db, socketio
from ecabinet.live import publisher
from ecabinet.meetings import access, events
from ecabinet.meetings import service as meetings
from ecabinet.meetings.models import Meeting

log = logging.getLogger(__name__)


@dataclass
class _Socket:
    server: object  # the Socket.IO server it belongs to (tests make a new one per app)
    user_id: int
    # What let it in: the bearer token, or the token of the browser session behind the login cookie.
    credential: auth.BearerToken
    # The meetings it joined, and whether it is in the runners' room of each.
    meetings: dict[int, bool] = field(default_factory=dict)


# This process's own sockets (a socket lives in the process that accepted it).
_sockets: dict[str, _Socket] = {}
_lock = threading.Lock()
_swept: list = []  # the Socket.IO server whose sockets a sweep is checking (tests make one per app)
_last_gone = threading.Event()  # wakes the sweep to end when the last socket has gone


def _credential(auth_data) -> tuple[str | None, str]:
    """The login a socket comes with, and how it was made (`ApiToken.via`): a tablet's bearer token,
    or the page session of a browser whose login cookie passed the pages' checks."""
    token = auth_data.get("token") if isinstance(auth_data, dict) else None
    if isinstance(token, str) and token:
        return token, "token"
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None, "token"
    if current_user.is_authenticated:
        return session.get(PAGE_SESSION_KEY), "page"
    return None, "page"


@socketio.on("connect")
def on_connect(auth_data=None):
    raw, via = _credential(auth_data)
    user = auth.user_for_token(raw, via) if raw else None
    if user is None:
        # A wiped device is told so (`data.code` device_wiped): the pages' script clears the browser.
        refused = auth.refusal(raw or session.get(PAGE_SESSION_KEY), bearer=False)
        if not isinstance(refused, DeviceWiped):
            refused = Unauthorized("Log in first: a valid token is required")
        raise ConnectionRefusedError(refused.message, {"code": refused.code, "message": refused.message})
    with _lock:
        _sockets[request.sid] = _Socket(socketio.server, user.id, auth.BearerToken(raw))
    join_room(publisher.user_room(user.id))
    _keep_checking(current_app._get_current_object())


@socketio.on("disconnect")
def on_disconnect(*_args):
    with _lock:
        _sockets.pop(request.sid, None)
        if not _sockets:
            _last_gone.set()


def _socket_user() -> User | None:
    with _lock:
        socket = _sockets.get(request.sid)
    user = db.session.get(User, socket.user_id) if socket else None
    return user if user is not None and user.active else None


# --- access that changes while a socket is open ------------------------------------------------------
# A socket's rights are checked when it connects and joins. What changes later — a participant taken
# off the meeting, a new chair, a login ended, an account deactivated — is checked again at once for
# changes made through this process (`publisher.access_changed`), and every ECABINET_LIVE_RECHECK_S
# seconds for all of them, so that a change made through another process also takes effect.


def _open(user_ids: set[int] | None) -> dict[str, _Socket]:
    """This process's open sockets (of those users)."""
    with _lock:
        return {
            sid: s
            for sid, s in _sockets.items()
            if s.server is socketio.server and (user_ids is None or s.user_id in user_ids)
        }


def recheck_soon(user_ids: set[int] | None) -> None:
    if _open(user_ids):  # most changes concern no open socket here: nothing to start
        socketio.start_background_task(_recheck, current_app._get_current_object(), user_ids)


def _keep_checking(app) -> None:
    server = socketio.server
    with _lock:
        if server in _swept:
            return
        _swept[:] = [server]
        for sid in [sid for sid, s in _sockets.items() if s.server is not server]:
            del _sockets[sid]  # left by a server that is gone
    socketio.start_background_task(_sweep, app, server)


def _sweep(app, server) -> None:
    """While this process has sockets: the heartbeat, and every so often their access checked again."""
    recheck_s = app.config["ECABINET_LIVE_RECHECK_S"]
    next_recheck = time.monotonic() + recheck_s
    while True:
        _last_gone.wait(min(app.config["ECABINET_LIVE_HEARTBEAT_S"], recheck_s))
        with _lock:
            _last_gone.clear()
            if not _sockets or socketio.server is not server:  # started again by the next connection
                if server in _swept:
                    _swept.remove(server)
                return
        if time.monotonic() >= next_recheck:
            next_recheck = time.monotonic() + recheck_s
            _recheck(app, None)
        _beat(app)


def _beat(app) -> None:
    """Each joined meeting's latest `seq`, to this process's sockets in it. Sent past the message queue
    (`ignore_queue`): it is the queue's failure that the heartbeat must survive."""
    joined = {meeting_id for socket in _open(None).values() for meeting_id in socket.meetings}
    if not joined:
        return
    with app.app_context():
        try:
            latest = events.latest_seqs(joined)
        except SQLAlchemyError as exc:  # the database is away too: the next beat, then
            log.warning("heartbeat skipped: %s", str(exc).splitlines()[0])
            return
        finally:
            db.session.remove()
    for meeting_id, seq in latest.items():
        beat = {"meeting_id": meeting_id, "seq": seq}
        for runner in (True, False):
            socketio.emit("heartbeat", beat, to=publisher.meeting_room(meeting_id, runner), ignore_queue=True)


def _recheck(app, user_ids: set[int] | None) -> None:
    sockets = _open(user_ids)
    if not sockets:
        return
    with app.app_context():
        try:
            live = auth.users_for_tokens({s.credential for s in sockets.values()})
            socketio.sleep(0)
            # Each meeting with its participants, read once: asked socket by socket, a hundred sockets
            # took 67 ms of the loop, and a vote's fan-out landing then waited for it (live_fanout's
            # slow round, every ECABINET_LIVE_RECHECK_S).
            joined = {meeting_id for socket in sockets.values() for meeting_id in socket.meetings}
            held = {
                meeting.id: meeting
                for meeting in db.session.scalars(
                    select(Meeting).where(Meeting.id.in_(joined)).options(selectinload(Meeting.participants))
                )
            }
            for sid, socket in sockets.items():
                socketio.sleep(0)  # the loop serves others between two sockets
                user = live.get(socket.credential)
                if user is None or user.id != socket.user_id:
                    socketio.server.disconnect(sid, namespace="/")
                    continue
                for meeting_id, runner in list(socket.meetings.items()):
                    _recheck_rooms(sid, socket, user, held.get(meeting_id), meeting_id, runner)
        except Exception:  # a failed check leaves the sockets as they were, until the next one
            log.exception("checking the sockets' access again failed")
        finally:
            db.session.remove()


def _recheck_rooms(
    sid: str, socket: _Socket, user: User, meeting: Meeting | None, meeting_id: int, runner: bool
) -> None:
    visible = meeting is not None and access.can_see_meeting(user, meeting)
    runs = visible and access.can_run_meeting(user, meeting)
    if visible and runs == runner:
        return
    socketio.server.leave_room(sid, publisher.meeting_room(meeting_id, runner=runner), namespace="/")
    with _lock:
        if visible:
            socket.meetings[meeting_id] = runs
        else:
            socket.meetings.pop(meeting_id, None)
    if visible:
        socketio.server.enter_room(sid, publisher.meeting_room(meeting_id, runner=runs), namespace="/")
    else:
        socketio.server.leave_room(sid, publisher.meeting_user_room(meeting_id, user.id), namespace="/")


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
    with _lock:
        # The page may have gone while the meeting was read (a member who taps on to the next page):
        # rooms are joined under the lock that the disconnect takes, so never for a socket already gone,
        # which the server refuses with an exception in its handler thread.
        socket = _sockets.get(request.sid)
        if socket is None:
            return _error("unauthorized", "Not connected")
        socket.meetings[meeting.id] = runner
        join_room(publisher.meeting_room(meeting.id, runner=runner))
        join_room(publisher.meeting_user_room(meeting.id, user.id))
    return {"ok": True, "seq": events.latest_seq(meeting)}


@socketio.on("leave")
def on_leave(data=None):
    meeting_id = data.get("meeting_id") if isinstance(data, dict) else None
    if isinstance(meeting_id, int):
        with _lock:
            socket = _sockets.get(request.sid)
            if socket is not None:
                socket.meetings.pop(meeting_id, None)
        for runner in (True, False):
            leave_room(publisher.meeting_room(meeting_id, runner=runner))
        user = _socket_user()
        if user is not None:
            leave_room(publisher.meeting_user_room(meeting_id, user.id))
    return {"ok": True}
