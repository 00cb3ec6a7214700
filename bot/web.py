"""The HTTP edge (ASGI): Slack's signature checked on the raw bytes before anything else reads them.

Requests are read on the event loop, so idle or slow clients hold no thread; only a verified,
first-seen Slack request reaches Bolt, on a thread of its own.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from bot.metrics import SLACK_REJECTED, SLACK_REQUESTS
from bot.sightings import Sightings
from bot.signature import Rejection, check_signature
from bot.slack.http import Reply, SlackRequest

log = logging.getLogger(__name__)

SLACK_PATH = "/slack/events"
# Slack's payloads are a few kB; a modal's state at most tens. Anything larger is not Slack.
MAX_BODY_BYTES = 1024 * 1024
# A signed body arrives in one go; a client that trickles it is not Slack either.
BODY_SECONDS = 10.0
# The replay check writes to the database before the ack. A database busy with another writer
# must not hold the ack towards Slack's 3 s: past this, the request goes on unchecked (a replay
# then still meets the cooldown, and the use case's own wait for the database).
REPLAY_CHECK_SECONDS = 1.0

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Asgi = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass(frozen=True)
class EdgeParts:
    """What the edge calls; each runs on a worker thread, never on the event loop."""

    signing_secret: str
    # The Bolt app behind the edge.
    slack: Callable[[SlackRequest], Reply]
    # For each key (a request's signature): True when no process saw it before.
    first_sightings: Callable[[list[str]], list[bool]]
    # Held during a signed request's replay check (`slack` holds it while Bolt answers): work
    # handed off after earlier acks waits for both (bot.slack.background), so a burst's acks
    # don't queue behind it. Between the two, the burst's lull rule keeps that work waiting.
    answering: Callable[[], AbstractContextManager[None]]
    database_answers: Callable[[], bool]
    metrics: Asgi
    metrics_token: str
    threads: int
    on_shutdown: Callable[[], None]
    clock: Callable[[], float] = time.time


class Edge:
    """The ASGI application `serve` runs: /slack/events, /healthz and /metrics."""

    def __init__(self, parts: EdgeParts) -> None:
        self._parts = parts
        self._threads = ThreadPoolExecutor(max_workers=parts.threads, thread_name_prefix="slack")
        self._sightings = Sightings(parts.first_sightings, self._in_thread)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path, method = scope.get("path", ""), scope.get("method", "")
        if path == SLACK_PATH and method == "POST":
            reply = await self._slack(scope, receive)
        elif path == "/healthz" and method in ("GET", "HEAD"):
            healthy = await self._in_thread(self._parts.database_answers)
            reply = Reply(200, b"ok\n") if healthy else Reply(503, b"database unavailable\n")
        elif path == "/metrics" and method == "GET":
            if self._may_read_metrics(scope):
                await self._parts.metrics(scope, receive, send)
                return
            reply = Reply(401, b"metrics need Authorization: Bearer <METRICS_TOKEN>\n")
        else:
            reply = Reply(404, b"not found\n")
        await _respond(send, reply)

    async def _slack(self, scope: Scope, receive: Receive) -> Reply:
        headers = _headers(scope)
        length = headers.get("content-length", "")
        if "transfer-encoding" in headers or not length.isdigit():
            return _rejected(Rejection.NO_LENGTH)
        if int(length) > MAX_BODY_BYTES:
            return _rejected(Rejection.TOO_LARGE)
        try:
            async with asyncio.timeout(BODY_SECONDS):
                body = await _read_body(receive, int(length))
        except TimeoutError:
            return _rejected(Rejection.TOO_SLOW)
        if body is None:
            return _rejected(Rejection.TOO_LARGE)
        signature = headers.get("x-slack-signature", "")
        timestamp = headers.get("x-slack-request-timestamp", "")
        rejection = check_signature(self._parts.signing_secret, body, timestamp, signature, self._parts.clock())
        if rejection is not None:
            return _rejected(rejection)
        # A replay of a signed request within Slack's window carries the same signature.
        with self._parts.answering():
            first = await self._first_sighting(signature)
        if not first:
            log.warning("ignored a replayed Slack request", extra={"event": "slack_replay"})
            SLACK_REQUESTS.labels("replayed").inc()
            return Reply(200)
        request = SlackRequest(body, headers, scope.get("query_string", b"").decode("latin-1"))
        reply: Reply = await self._in_thread(self._parts.slack, request)
        return reply

    async def _first_sighting(self, signature: str) -> bool:
        try:
            async with asyncio.timeout(REPLAY_CHECK_SECONDS):
                return await self._sightings.first(f"sig:{signature}")
        except TimeoutError:
            log.warning("the database is slow: a Slack request went on without its replay check")
            return True

    def _may_read_metrics(self, scope: Scope) -> bool:
        token = self._parts.metrics_token
        if token:
            given = _headers(scope).get("authorization", "")
            return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
        client = scope.get("client") or ("", 0)
        try:
            return ipaddress.ip_address(client[0]).is_loopback
        except ValueError:
            return False

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                # In-flight resends finish and post their outcomes before the worker exits.
                await asyncio.get_running_loop().run_in_executor(None, self._parts.on_shutdown)
                self._threads.shutdown(wait=True)
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _in_thread(self, work: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._threads, work, *args)


def _headers(scope: Scope) -> dict[str, str]:
    # Slack sends each header once; a repeated one keeps its last value.
    raw: Iterable[tuple[bytes, bytes]] = scope.get("headers") or ()
    return {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in raw}


async def _read_body(receive: Receive, length: int) -> bytes | None:
    """The body, or None when it is longer than its Content-Length said or the client left."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > length:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


def _rejected(rejection: Rejection) -> Reply:
    # Counted and logged by reason only: nothing unverified is read, echoed or used as a label.
    SLACK_REQUESTS.labels("unverified").inc()
    SLACK_REJECTED.labels(rejection.value).inc()
    log.warning("rejected a request to %s: %s", SLACK_PATH, rejection.reason, extra={"event": "slack_rejected"})
    return Reply(rejection.http_status, f"{rejection.reason}\n".encode())


async def _respond(send: Send, reply: Reply) -> None:
    headers = [(b"content-type", reply.content_type.encode()), (b"content-length", str(len(reply.body)).encode())]
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": reply.body})
