"""Prometheus metrics; shared across gunicorn workers through PROMETHEUS_MULTIPROC_DIR when it is set."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, make_asgi_app, multiprocess

SLACK_REQUESTS = Counter(
    "resend_otp_slack_requests_total", "Slack requests received, by kind (unverified ones as 'unverified')", ["kind"]
)
SLACK_REJECTED = Counter(
    "resend_otp_slack_rejected_total", "Requests to /slack/events refused before they were read, by reason", ["reason"]
)
RESENDS = Counter("resend_otp_resends_total", "Resend attempts by surface and outcome status", ["surface", "status"])
KALEYRA_CALLS = Counter(
    "resend_otp_kaleyra_calls_total", "Kaleyra retry_otp calls by code and outcome", ["code", "outcome"]
)
KALEYRA_LATENCY = Histogram(
    "resend_otp_kaleyra_latency_seconds",
    "Time Kaleyra took to answer retry_otp",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30),
)
REFUSALS = Counter("resend_otp_refusals_total", "Resends refused before Kaleyra, by reason", ["reason"])
DELIVERY_FALLBACKS = Counter(
    "resend_otp_delivery_fallbacks_total", "Outcomes that could not go in the channel, by where they went", ["via"]
)


def metrics_app() -> Callable[[MutableMapping[str, Any], Any, Any], Awaitable[None]]:
    """The /metrics ASGI app: every worker's numbers when several workers share a directory."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return make_asgi_app(registry)
    return make_asgi_app()
