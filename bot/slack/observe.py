"""One log line and one count per Slack request, with a request id for the lines that follow."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

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
    user = body.get("user_id") or body.get("user") or (body.get("event") or {}).get("user")
    return user.get("id") if isinstance(user, dict) else user


def log_request(body: dict[str, Any], next: Callable[[], BoltResponse]) -> BoltResponse:  # noqa: A002 (Bolt's name)
    token = request_id.set(uuid.uuid4().hex[:12])
    started = time.perf_counter()
    kind = request_kind(body)
    response = None
    try:
        response = next()
        return response
    finally:
        SLACK_REQUESTS.labels(kind).inc()
        log.info(
            "slack %s",
            kind,
            extra={
                "event": "slack_request",
                "surface": kind,
                "user": request_user(body),
                "status": getattr(response, "status", None),
                "latency_ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
        request_id.reset(token)
