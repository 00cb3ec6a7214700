"""Each finished resend as one log line and its metrics."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot import metrics
from bot.kaleyra import KNOWN_CODES
from bot.phone import mask_phone, mask_tail

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
        # Kaleyra picks the codes: an unknown one is counted as "other", so the label set stays bounded.
        code = kaleyra.code if kaleyra.code in KNOWN_CODES else ("other" if kaleyra.code else "none")
        metrics.KALEYRA_CALLS.labels(code, kaleyra.kind.value).inc()
        metrics.KALEYRA_LATENCY.observe(kaleyra.latency_ms / 1000)
    log.info(
        "resend %s",
        status,
        extra={
            "event": "kaleyra_call" if kaleyra is not None else "resend",
            "surface": result.surface,
            "user": result.requester.user_id,
            "waba_id": loggable_waba(result),
            "number": mask_phone(result.phone_number) if result.phone_number else None,
            "code": outcome_code(result),
            "outcome": kaleyra.kind.value if kaleyra else None,
            "status": status,
            "http_status": kaleyra.http_status if kaleyra else None,
            "latency_ms": kaleyra.latency_ms if kaleyra else None,
            "attempt_id": result.attempt_id,
        },
    )
    return result


def outcome_code(result: ResendResult) -> str:
    """Kaleyra's code, else the code the person is shown (COOLDOWN, TIMEOUT, DRY_RUN…), to grep for."""
    if result.kaleyra is not None and result.kaleyra.code:
        return result.kaleyra.code
    return str(result.status).removeprefix("refused_").upper()


def loggable_waba(result: ResendResult) -> str | None:
    """A known WABA's id; anything else typed there only by its last 4 digits: it may be a phone number."""
    typed = result.request.waba_id.strip()[:32]
    return (typed if result.waba_name else mask_tail(typed)) or None
