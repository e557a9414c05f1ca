"""A bare Flask-SocketIO server: the floor live_fanout.py measures ecabinet against.

    gunicorn -c gunicorn.conf.py --bind 127.0.0.1:PORT --pythonpath bench bare_server:app

The same gunicorn settings as ecabinet (gevent), the same Socket.IO stack, none of ecabinet's work: no
login, no database, no audit, no stored events. A socket joins a meeting's room with `join`; POST
/broadcast/<meeting_id> sends the JSON body to that room as the payload of an `event`, in the shape
ecabinet's publisher sends (seq, type, meeting_id, data, at).
"""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime

from flask import Flask, jsonify, request
from flask_socketio import SocketIO, join_room

from ecabinet.common.serving import socketio_async_mode

app = Flask(__name__)
socketio = SocketIO(app, async_mode=socketio_async_mode())  # gevent under gunicorn.conf.py, as ecabinet
_seq = itertools.count(1)
_seq_lock = threading.Lock()


def room(meeting_id: int) -> str:
    return f"meeting:{meeting_id}:others"


@app.get("/healthz")
def healthz():
    return jsonify({"ok": True})


@socketio.on("join")
def on_join(data=None):
    join_room(room(int(data["meeting_id"])))
    return {"ok": True, "seq": 0}


@app.post("/broadcast/<int:meeting_id>")
def broadcast(meeting_id: int):
    with _seq_lock:
        seq = next(_seq)
    payload = {
        "seq": seq,
        "type": "vote.opened",
        "meeting_id": meeting_id,
        "data": request.get_json(),
        "at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
    }
    socketio.emit("event", payload, to=room(meeting_id))
    return jsonify(payload)
