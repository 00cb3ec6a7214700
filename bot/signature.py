"""Slack's request signature, checked on the raw bytes; why a request was refused, in a fixed vocabulary."""

from __future__ import annotations

import re
from enum import StrEnum

from slack_sdk.signature import Clock, SignatureVerifier

# Slack refuses requests whose timestamp is further than this from now; so do we.
WINDOW_SECONDS = 60 * 5
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


class Rejection(StrEnum):
    """A request refused before it was read: each a metric label and a log line, never its content."""

    NO_SIGNATURE = "no_signature"
    MALFORMED = "malformed"
    STALE = "stale"
    MISMATCH = "mismatch"
    NO_LENGTH = "no_length"
    TOO_LARGE = "too_large"
    TOO_SLOW = "too_slow"

    @property
    def reason(self) -> str:
        return _REASONS[self]

    @property
    def http_status(self) -> int:
        return {Rejection.NO_LENGTH: 411, Rejection.TOO_LARGE: 413, Rejection.TOO_SLOW: 408}.get(self, 401)


_REASONS = {
    Rejection.NO_SIGNATURE: "no Slack signature",
    Rejection.MALFORMED: "malformed Slack signature headers",
    Rejection.STALE: "Slack timestamp outside the 5-minute window",
    Rejection.MISMATCH: "Slack signature does not match (check SLACK_SIGNING_SECRET)",
    Rejection.NO_LENGTH: "a Content-Length is required",
    Rejection.TOO_LARGE: "body larger than 1 MB",
    Rejection.TOO_SLOW: "body not received in time",
}


def check_signature(secret: str, body: bytes, timestamp: str, signature: str, now: float) -> Rejection | None:
    """None when Slack signed exactly these bytes within the window; else why not."""
    if not timestamp or not signature:
        return Rejection.NO_SIGNATURE
    if not _TIMESTAMP.fullmatch(timestamp) or not _SIGNATURE.fullmatch(signature):
        return Rejection.MALFORMED
    if abs(now - int(timestamp)) > WINDOW_SECONDS:
        return Rejection.STALE
    verifier = SignatureVerifier(secret, clock=_FixedClock(now))
    if not verifier.is_valid(body=body, timestamp=timestamp, signature=signature):
        return Rejection.MISMATCH
    return None


class _FixedClock(Clock):
    """slack_sdk's verifier asks a clock for now; it gets the edge's."""

    def __init__(self, now: float) -> None:
        self._now = now

    def now(self) -> float:
        return self._now
