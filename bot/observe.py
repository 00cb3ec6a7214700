"""Each finished resend as one log line and its metrics."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot import metrics
from bot.phone import mask_phone

if TYPE_CHECKING:
    from bot.resend import ResendResult

log = logging.getLogger("bot.resend")


def observe(result: ResendResult) -> ResendResult:
    """Log and count a result once it is final; return it unchanged."""
    status = str(result.status)
    metrics.RESENDS.labels(result.surface or "unknown", status).inc()
    if status.startswith("refused_"):
        metrics.REFUSALS.labels(status.removeprefix("refused_")).inc()
    kaleyra = result.kaleyra
    if kaleyra is not None:
        metrics.KALEYRA_CALLS.labels(kaleyra.code or "none", kaleyra.kind.value).inc()
        metrics.KALEYRA_LATENCY.observe(kaleyra.latency_ms / 1000)
    log.info(
        "resend %s",
        status,
        extra={
            "event": "kaleyra_call" if kaleyra is not None else "resend",
            "surface": result.surface,
            "user": result.requester.user_id,
            "waba_id": result.request.waba_id[:32],
            "number": mask_phone(result.phone_number) if result.phone_number else None,
            "code": kaleyra.code if kaleyra else None,
            "outcome": kaleyra.kind.value if kaleyra else None,
            "status": status,
            "http_status": kaleyra.http_status if kaleyra else None,
            "latency_ms": kaleyra.latency_ms if kaleyra else None,
            "attempt_id": result.attempt_id,
        },
    )
    return result
