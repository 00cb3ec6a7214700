"""A loopback server that takes connections and never answers: a Kaleyra that is down in the middle.

`read_headers=False`: it accepts the TCP connection and reads nothing, so an HTTPS client never gets
past its TLS handshake and never sends the request. `read_headers=True`: it reads a request's
headers and then says nothing more, so the request went out and its outcome is unknown.
`then_relay_to=PORT`: only the first connection stalls; later ones are relayed to PORT, as a
network that lost one connection and carries the next.
"""

from __future__ import annotations

import socket
import threading
from types import TracebackType
from typing import Self

from tests.fakes.server import hard_close, pump

__all__ = ["StallingServer"]


class StallingServer:
    def __init__(self, *, read_headers: bool, then_relay_to: int | None = None) -> None:
        self._read_headers = read_headers
        self._relay_to = then_relay_to
        self._upstreams: list[socket.socket] = []
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
            conns = self._connections + self._upstreams
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
                relay = self._relay_to is not None and len(self._connections) > 1
            self.connected.set()
            if relay:
                threading.Thread(target=self._relay, args=(conn,), daemon=True).start()
            elif self._read_headers:
                threading.Thread(target=self._read_head, args=(conn,), daemon=True).start()

    def _relay(self, conn: socket.socket) -> None:
        try:
            upstream = socket.create_connection(("127.0.0.1", self._relay_to or 0))
        except OSError:
            hard_close(conn)
            return
        with self._lock:
            self._upstreams.append(upstream)
        for source, sink in ((conn, upstream), (upstream, conn)):
            threading.Thread(target=pump, args=(source, sink), daemon=True).start()

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
