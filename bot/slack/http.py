"""Bolt behind the edge: a verified request dispatched, and Slack's re-deliveries of an event skipped."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from slack_bolt import App
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse

from bot.slack.background import Answering

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"


@dataclass(frozen=True)
class SlackRequest:
    """A request whose signature was verified: the raw body and the headers Bolt reads."""

    body: bytes
    headers: Mapping[str, str]
    query: str


def http_handler(app: App, answering: Answering) -> Callable[[SlackRequest], Reply]:
    """Dispatch a request the edge verified; the listener's ack is the reply."""

    def handle(request: SlackRequest) -> Reply:
        bolt = BoltRequest(
            body=request.body.decode("utf-8", "replace"), query=request.query, headers=dict(request.headers)
        )
        # Counted here, not around the edge's await: work the listener hands off starts as soon
        # as the ack is made, not once the event loop has taken the reply back.
        with answering.request():
            response = app.dispatch(bolt)
        content_type = (response.headers.get("content-type") or ["text/plain; charset=utf-8"])[0]
        return Reply(response.status, response.body.encode(), content_type)

    return handle


def skip_redelivered_events(
    first_sightings: Callable[[list[str]], list[bool]],
) -> Callable[..., BoltResponse | None]:
    """Global middleware: Slack re-sends an event it thinks was missed (new signature, same event_id)."""

    def middleware(body: dict[str, Any], next: Callable[[], None]) -> BoltResponse | None:  # noqa: A002 (Bolt's name)
        event_id = body.get("event_id")
        if isinstance(event_id, str) and event_id and not first_sightings([f"event:{event_id[:80]}"])[0]:
            log.info("skipped a re-delivered event", extra={"event": "slack_redelivery"})
            return BoltResponse(status=200, body="")
        next()
        return None

    return middleware
