"""What both loopback fakes share: a threaded HTTP server on 127.0.0.1 that never hangs a test's exit,
speaking HTTPS when given a TLS context, and counting the connections clients open to it."""

from __future__ import annotations

import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self


def pump(source: socket.socket, sink: socket.socket) -> None:
    """Copy what `source` sends to `sink` until either side ends, then close both."""
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        hard_close(source)
        hard_close(sink)


def hard_close(conn: socket.socket) -> None:
    try:
        conn.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        conn.close()
    except OSError:
        pass


# A client that connects and never finishes the handshake must not hold a handler thread for ever.
HANDSHAKE_TIMEOUT_SECONDS = 5.0


class _Server(ThreadingHTTPServer):
    # Python's default backlog of 5 resets connections in a burst of concurrent calls.
    request_queue_size = 128

    def __init__(self, fake: LoopbackServer, handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.fake = fake

    def get_request(self) -> tuple[socket.socket, Any]:
        conn, address = super().get_request()
        # As real API servers do: a response's head and body, written apart, would otherwise wait for
        # the client's delayed ACK (40 ms) whenever a delaying proxy sits in between.
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.fake._accepted()
        return conn, address

    def finish_request(self, request: Any, client_address: Any) -> None:
        # In the handler's thread, so a slow handshake holds up no other client.
        tls = self.fake._tls
        if tls is None:
            super().finish_request(request, client_address)
            return
        try:
            conn = tls.wrap_socket(request, server_side=True, do_handshake_on_connect=False)
        except OSError:  # the client is already gone
            self.fake._handshake_failed()
            return
        self.fake._track(conn, add=True)
        try:
            conn.settimeout(HANDSHAKE_TIMEOUT_SECONDS)
            conn.do_handshake()
            conn.settimeout(None)
        except OSError:  # ssl.SSLError included: e.g. the client refused the certificate
            self.fake._handshake_failed()
        else:
            super().finish_request(conn, client_address)
        finally:
            self.fake._track(conn, add=False)
            # wrap_socket took the descriptor over: shutdown_request's close of `request` is a no-op.
            hard_close(conn)


class LoopbackServer:
    """Start in __enter__, stop in __exit__; open connections are cut so held handlers can't block.

    With `tls` (a server context, e.g. from tests.fakes.tls.ThrowawayCA) it answers HTTPS only.
    """

    def __init__(self, *, tls: ssl.SSLContext | None = None) -> None:
        self._tls = tls
        self._lock = threading.Condition()
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._accepted_count = 0
        self._failed_handshakes = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> None:
        server = _Server(self, self._handler_class())
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        server = self._server
        if server is None:
            return
        self._server = None
        # Wake held and delayed handlers first so none keeps a client waiting forever.
        self._stopping.set()
        with self._lock:
            self._lock.notify_all()
        server.shutdown()
        server.server_close()
        with self._lock:
            conns = list(self._connections)
        for conn in conns:
            hard_close(conn)
        if self._thread is not None:
            self._thread.join(timeout=2)

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError(f"{type(self).__name__} is not running")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        scheme = "http" if self._tls is None else "https"
        return f"{scheme}://127.0.0.1:{self.port}"

    @property
    def connections(self) -> int:
        """TCP connections accepted so far: a client that reuses its connection opens one, not one per call."""
        with self._lock:
            return self._accepted_count

    @property
    def failed_handshakes(self) -> int:
        """Connections whose TLS handshake did not complete (e.g. the client refused the certificate)."""
        with self._lock:
            return self._failed_handshakes

    def wait_for_failed_handshakes(self, count: int, timeout: float = 5.0) -> None:
        """A client that refused the certificate may be gone before the handler has noticed: wait for it."""
        with self._lock:
            if not self._lock.wait_for(lambda: self._failed_handshakes >= count, timeout):
                raise AssertionError(f"expected {count} failed TLS handshake(s), saw {self._failed_handshakes}")

    def _accepted(self) -> None:
        with self._lock:
            self._accepted_count += 1

    def _handshake_failed(self) -> None:
        with self._lock:
            self._failed_handshakes += 1
            self._lock.notify_all()

    def _track(self, conn: socket.socket, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)


class TrackedHandler(BaseHTTPRequestHandler):
    """A quiet HTTP/1.1 handler whose connections its server can cut; subclasses define `_handle`."""

    # HTTP/1.1 so clients keep connections alive, as with the real APIs.
    protocol_version = "HTTP/1.1"
    fake: LoopbackServer

    def setup(self) -> None:
        super().setup()
        self.fake._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.fake._track(self.connection, add=False)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the stdlib's name)
        pass  # keep test output readable

    def do_POST(self) -> None:
        self._handle()

    def do_GET(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_HEAD(self) -> None:
        self._handle()

    def _handle(self) -> None:
        raise NotImplementedError
