"""One log line and one count per Slack request, with a request id for the lines that follow."""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

from slack_bolt import App
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse

from bot.logs import request_id
from bot.metrics import SLACK_REQUESTS

log = logging.getLogger("bot.slack.requests")


def request_kind(body: dict[str, Any]) -> str:
    if "command" in body:
        return "command"
    if body.get("type") == "event_callback":
        return f"event:{(body.get('event') or {}).get('type', 'unknown')}"
    return str(body.get("type") or "unknown")


def request_user(body: dict[str, Any]) -> str | None:
    event = body.get("event")
    event = event if isinstance(event, dict) else {}
    # A Workflow step's event names its person only among the step's inputs.
    inputs = event.get("inputs")
    inputs = inputs if isinstance(inputs, dict) else {}
    user = body.get("user_id") or body.get("user") or event.get("user") or inputs.get("user_id")
    return user.get("id") if isinstance(user, dict) else user


class RequestLoggingApp(App):
    """Bolt's App, with each request's line logged around the whole dispatch.

    A global middleware cannot do this: Bolt's `next()` only flags that the chain may go on,
    and the listeners run after every middleware has returned, so a middleware sees neither
    the listener's response nor its duration, and a request id it resets on return never
    reaches the listener (nor the background work the listener hands off).
    """

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        body = req.body if isinstance(req.body, dict) else {}
        token = request_id.set(uuid.uuid4().hex[:12])
        started = time.perf_counter()
        response = None
        try:
            response = super().dispatch(req)
            return response
        finally:
            kind = request_kind(body)
            SLACK_REQUESTS.labels(kind).inc()
            log.info(
                "slack %s",
                kind,
                extra={
                    "event": "slack_request",
                    "surface": kind,
                    "user": request_user(body),
                    "http_status": response.status if response is not None else 500,
                    "latency_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
            request_id.reset(token)
