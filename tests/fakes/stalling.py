"""A loopback server that takes connections and never answers: a Kaleyra that is down in the middle.

`read_headers=False`: it accepts the TCP connection and reads nothing, so an HTTPS client never gets
past its TLS handshake and never sends the request. `read_headers=True`: it reads a request's
headers and then says nothing more, so the request went out and its outcome is unknown.
"""

from __future__ import annotations

import socket
import threading
from types import TracebackType
from typing import Self

from tests.fakes.server import hard_close

__all__ = ["StallingServer"]


class StallingServer:
    def __init__(self, *, read_headers: bool) -> None:
        self._read_headers = read_headers
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._lock = threading.Lock()
        self._connections: list[socket.socket] = []
        self._stopping = threading.Event()
        self.connected = threading.Event()
        self.heads: list[bytes] = []
        self.head_read = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def port(self) -> int:
        return int(self._listener.getsockname()[1])

    @property
    def accepted(self) -> int:
        """Connections taken so far."""
        with self._lock:
            return len(self._connections)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stopping.set()
        # Closing the listener wakes accept(); closing each connection wakes its reader.
        hard_close(self._listener)
        with self._lock:
            conns = list(self._connections)
        for conn in conns:
            hard_close(conn)
        self._thread.join(timeout=2)

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self._connections.append(conn)
            self.connected.set()
            if self._read_headers:
                threading.Thread(target=self._read_head, args=(conn,), daemon=True).start()

    def _read_head(self, conn: socket.socket) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            try:
                chunk = conn.recv(4096)
            except OSError:
                return
            if not chunk:
                return
            data += chunk
        self.heads.append(data.split(b"\r\n\r\n", 1)[0])
        self.head_read.set()
