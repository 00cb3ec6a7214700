"""Fires Slack requests at the bot from a process of its own, all of a burst at once, from one thread.

Every request of a burst is connected and written within a few milliseconds by one non-blocking
loop; bench.child says why it runs in a process of its own.
"""

from __future__ import annotations

import selectors
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection

from bench.child import Child

TIMEOUT_SECONDS = 10.0

Signed = tuple[str, dict[str, str]]


@dataclass(frozen=True)
class Sent:
    """One request: when it left (time.monotonic, the fakes' clock), how long the ack took, its status."""

    sent_at: float
    ack_seconds: float
    status: int


class Sender:
    """A child process that sends bursts on request; close it when done."""

    def __init__(self, port: int) -> None:
        self._child = Child(_serve, port)
        self.fire([])  # spawned and ready, so that starting it overlaps nothing measured

    def fire(self, requests: Sequence[Signed]) -> list[Sent]:
        sent: list[Sent] = self._child.ask(list(requests), TIMEOUT_SECONDS + 5)
        return sent

    def close(self) -> None:
        self._child.close()


def _serve(pipe: Connection, port: int) -> None:
    while (requests := pipe.recv()) is not None:
        pipe.send(fire(port, requests))


@dataclass
class _Exchange:
    sock: socket.socket
    request: bytes
    sent_at: float
    started: float
    written: int = 0
    answer: bytearray = field(default_factory=bytearray)
    status: int = 0
    ack_seconds: float = 0.0


def fire(port: int, requests: Sequence[Signed]) -> list[Sent]:
    """POST every request to /slack/events on a new connection at once; wait for every answer."""
    selector = selectors.DefaultSelector()
    exchanges = []
    for body, headers in requests:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        exchange = _Exchange(sock, _http_post(port, body, headers), time.monotonic(), time.perf_counter())
        sock.connect_ex(("127.0.0.1", port))
        selector.register(sock, selectors.EVENT_WRITE, exchange)
        exchanges.append(exchange)
    deadline = time.monotonic() + TIMEOUT_SECONDS
    waiting = len(exchanges)
    while waiting and time.monotonic() < deadline:
        for key, _events in selector.select(timeout=0.5):
            exchange = key.data
            if _step(exchange):
                selector.unregister(key.fileobj)
                exchange.sock.close()
                waiting -= 1
            elif exchange.written == len(exchange.request) and key.events != selectors.EVENT_READ:
                selector.modify(key.fileobj, selectors.EVENT_READ, exchange)
    for exchange in exchanges:
        if not exchange.ack_seconds:
            exchange.sock.close()  # no answer in time: status 0
    selector.close()
    return [Sent(e.sent_at, e.ack_seconds or TIMEOUT_SECONDS, e.status) for e in exchanges]


def _step(exchange: _Exchange) -> bool:
    """Move one exchange on; True once it is over (answered or failed)."""
    try:
        if exchange.written < len(exchange.request):
            exchange.written += exchange.sock.send(exchange.request[exchange.written :])
            return False
        chunk = exchange.sock.recv(65536)
    except BlockingIOError:
        return False
    except OSError:
        exchange.ack_seconds = time.perf_counter() - exchange.started
        return True
    exchange.answer += chunk
    if chunk and not _complete(exchange.answer):
        return False
    exchange.ack_seconds = time.perf_counter() - exchange.started
    status_line = bytes(exchange.answer.split(b"\r\n", 1)[0]).split()
    exchange.status = int(status_line[1]) if len(status_line) > 1 and status_line[1].isdigit() else 0
    return True


def _complete(answer: bytearray) -> bool:
    head, separator, body = bytes(answer).partition(b"\r\n\r\n")
    if not separator:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value.strip())
    return False  # no length: the answer ends when the server closes


def _http_post(port: int, body: str, headers: dict[str, str]) -> bytes:
    payload = body.encode()
    lines = [
        "POST /slack/events HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        f"Content-Length: {len(payload)}",
        "Connection: close",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload
