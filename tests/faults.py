"""Faults a test injects into the app's own reach to its database, so that no other test loses the
machine's shared PostgreSQL: a TCP link the test cuts, or every statement failing at the engine."""

from __future__ import annotations

import socket
import threading
from contextlib import suppress

from sqlalchemy import event

from ecabinet.extensions import db


class CuttableLink:
    """A TCP proxy between the app and the database that the test cuts (every connection dropped, new
    ones refused at once, as while PostgreSQL restarts) and mends."""

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.cut_off = threading.Event()
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            if self.cut_off.is_set():
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        self.cut_off.set()
        with self.lock:
            dropped, self.sockets = self.sockets, []
        for s in dropped:
            with suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def mend(self) -> None:
        self.cut_off.clear()

    def close(self) -> None:
        self.cut()
        self.listener.close()


class EngineOutage:
    """The database out of reach as the app sees it: every statement fails with the driver's own
    OperationalError (SQLite's lock not had in time, PostgreSQL's connection gone) until mended."""

    def __init__(self, app):
        self.down = threading.Event()
        self.refused = 0
        with app.app_context():
            self.error = db.engine.dialect.loaded_dbapi.OperationalError
            event.listen(db.engine, "before_cursor_execute", self._refuse)

    def _refuse(self, *_args) -> None:
        if self.down.is_set():
            self.refused += 1
            raise self.error("database is locked")

    def cut(self) -> None:
        self.down.set()

    def mend(self) -> None:
        self.down.clear()
