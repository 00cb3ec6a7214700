"""/metrics is internal: with METRICS_TOKEN only for its bearer, without one only for loopback clients.

The client address can't be chosen over a real loopback socket, so these call the edge's ASGI app
directly with the address a remote scraper would have.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest

from bot.slack.http import Reply
from bot.web import Edge, EdgeParts

REMOTE = ("203.0.113.5", 40000)
LOCAL = ("127.0.0.1", 40000)


async def metrics_page(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"resend_otp_resends_total 1\n"})


def edge(token: str = "") -> Edge:
    return Edge(
        EdgeParts(
            signing_secret="unused",
            slack=lambda request: Reply(200),
            first_sightings=lambda keys: [True] * len(keys),
            answering=contextlib.nullcontext,
            database_answers=lambda: True,
            metrics=metrics_page,
            metrics_token=token,
            threads=1,
            on_shutdown=lambda: None,
        )
    )


def status_of(app: Edge, client: tuple[str, int], headers: list[tuple[bytes, bytes]] | None = None) -> int:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/metrics", "headers": headers or [], "client": client}
    asyncio.run(app(scope, receive, send))
    return int(sent[0]["status"])


def test_without_a_token_only_loopback_may_read_metrics() -> None:
    assert status_of(edge(), LOCAL) == 200
    assert status_of(edge(), REMOTE) == 401
    assert status_of(edge(), ("not-an-address", 1)) == 401


@pytest.mark.parametrize("client", [LOCAL, REMOTE])
def test_with_a_token_only_its_bearer_may_read_metrics(client: tuple[str, int]) -> None:
    app = edge("metrics-token-123456")
    assert status_of(app, client) == 401
    assert status_of(app, client, [(b"authorization", b"Bearer metrics-token-123456")]) == 200
    assert status_of(app, client, [(b"authorization", b"Bearer metrics-token-12345")]) == 401
