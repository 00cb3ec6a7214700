"""Each finished resend as one log line and its metrics: what an operator greps for and graphs."""

from __future__ import annotations

import logging

from bot import metrics
from bot.kaleyra import KNOWN_CODES, KaleyraOutcome
from bot.status import Status

log = logging.getLogger("bot.resend")


def log_resend(
    *,
    status: Status,
    surface: str,
    user: str,
    waba_id: str | None,
    number: str | None,
    kaleyra: KaleyraOutcome | None,
    attempt_id: int | None,
) -> None:
    """`number` masked and `waba_id` a known WABA's (or masked) already: nothing here is secret."""
    metrics.RESENDS.labels(surface or "unknown", status.value).inc()
    if status.is_refusal:
        metrics.REFUSALS.labels(status.code.lower()).inc()
    if kaleyra is not None:
        # Kaleyra picks the codes: an unknown one is counted as "other", so the label set stays bounded.
        code = kaleyra.code if kaleyra.code in KNOWN_CODES else ("other" if kaleyra.code else "none")
        metrics.KALEYRA_CALLS.labels(code, kaleyra.kind.value).inc()
        metrics.KALEYRA_LATENCY.observe(kaleyra.latency_ms / 1000)
    log.info(
        "resend %s",
        status.value,
        extra={
            "event": "kaleyra_call" if kaleyra is not None else "resend",
            "surface": surface,
            "user": user,
            "waba_id": waba_id,
            "number": number,
            "code": kaleyra.code if kaleyra is not None and kaleyra.code else status.code,
            "outcome": kaleyra.kind.value if kaleyra else None,
            "status": status.value,
            "http_status": kaleyra.http_status if kaleyra else None,
            "latency_ms": kaleyra.latency_ms if kaleyra else None,
            "attempt_id": attempt_id,
        },
    )
