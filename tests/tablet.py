"""A tablet over Socket.IO, as the app on a member's iPad connects: a python-socketio client that keeps
every live event it is sent, for a test to take in order."""

from __future__ import annotations

import queue

import socketio


class Tablet:
    """A python-socketio client that records every `event` it receives."""

    def __init__(self, url: str, token: str | None):
        self.events: queue.Queue = queue.Queue()
        self.client = socketio.Client(reconnection=False)
        self.client.on("event", self.events.put)
        self.client.connect(
            url, auth={"token": token} if token else None, transports=["websocket"], wait_timeout=10
        )

    def join(self, meeting_id) -> dict:
        return self.client.call("join", {"meeting_id": meeting_id}, timeout=10)

    def next(self, type_: str | None = None, timeout: float = 5) -> dict:
        while True:
            event = self.events.get(timeout=timeout)
            if type_ is None or event["type"] == type_:
                return event

    def drain(self, settle: float = 0.3) -> list[dict]:
        out = []
        while True:
            try:
                out.append(self.events.get(timeout=settle))
            except queue.Empty:
                return out

    def close(self):
        self.client.disconnect()
