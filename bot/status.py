"""Where an attempt stands: one vocabulary for Kaleyra's outcomes, refusals and the audit's own states.

Every surface (Slack, the CLI), the log and the metrics read a status through this enum; the
audit stores its value.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    # Kaleyra's answer to a call (or its absence).
    SENT = "sent"
    ALREADY_VERIFIED = "already_verified"
    BAD_REQUEST = "bad_request"
    AUTH = "auth"
    NOT_ON_ACCOUNT = "not_on_account"
    UPSTREAM_ERROR = "upstream_error"
    TIMEOUT = "timeout"
    UNREACHABLE = "unreachable"
    UNEXPECTED_RESPONSE = "unexpected_response"
    # Refused before Kaleyra was called.
    REFUSED_INVALID = "refused_invalid"
    REFUSED_NOT_ALLOWED = "refused_not_allowed"
    REFUSED_COOLDOWN = "refused_cooldown"
    REFUSED_RATE_LIMITED = "refused_rate_limited"
    STORE_UNAVAILABLE = "store_unavailable"
    # The audit's own: a call in progress, a dry run, a call a crash interrupted.
    PENDING = "pending"
    DRY_RUN = "dry_run"
    UNKNOWN = "unknown"

    @property
    def may_have_sent(self) -> bool:
        """Whether a person may have received an SMS or a call because of this attempt."""
        return self in _MAY_HAVE_SENT

    @property
    def is_refusal(self) -> bool:
        """Refused before Kaleyra was called: nothing was sent."""
        return self in _REFUSALS

    @property
    def succeeded(self) -> bool:
        """What the asker wanted happened (or, in a dry run, would have)."""
        return self in (Status.SENT, Status.ALREADY_VERIFIED, Status.DRY_RUN)

    @property
    def code(self) -> str:
        """The code a person quotes when Kaleyra gave none: COOLDOWN, TIMEOUT, DRY_RUN…"""
        return self.value.removeprefix("refused_").upper()

    @property
    def label(self) -> str:
        """A few words for a list: "sent", "refused: cooldown"."""
        return _LABELS.get(self, self.value.replace("_", " "))

    @property
    def emoji(self) -> str:
        return _EMOJI[self]


_MAY_HAVE_SENT = frozenset({Status.SENT, Status.UPSTREAM_ERROR, Status.TIMEOUT, Status.UNEXPECTED_RESPONSE})
_REFUSALS = frozenset(
    {
        Status.REFUSED_INVALID,
        Status.REFUSED_NOT_ALLOWED,
        Status.REFUSED_COOLDOWN,
        Status.REFUSED_RATE_LIMITED,
        Status.STORE_UNAVAILABLE,
    }
)
_LABELS = {
    Status.AUTH: "Kaleyra credentials refused",
    Status.NOT_ON_ACCOUNT: "WABA not on the Kaleyra account",
    Status.UPSTREAM_ERROR: "Kaleyra failed",
    Status.UNEXPECTED_RESPONSE: "unreadable answer",
    Status.REFUSED_INVALID: "refused: invalid",
    Status.REFUSED_NOT_ALLOWED: "refused: not allowed",
    Status.REFUSED_COOLDOWN: "refused: cooldown",
    Status.REFUSED_RATE_LIMITED: "refused: hourly limit",
    Status.STORE_UNAVAILABLE: "database unavailable",
    Status.UNKNOWN: "unknown (interrupted)",
}
_EMOJI = {
    Status.SENT: ":white_check_mark:",
    Status.ALREADY_VERIFIED: ":large_green_circle:",
    Status.BAD_REQUEST: ":x:",
    Status.AUTH: ":closed_lock_with_key:",
    Status.NOT_ON_ACCOUNT: ":x:",
    Status.UPSTREAM_ERROR: ":warning:",
    Status.TIMEOUT: ":hourglass:",
    Status.UNREACHABLE: ":electric_plug:",
    Status.UNEXPECTED_RESPONSE: ":grey_question:",
    Status.REFUSED_INVALID: ":pencil2:",
    Status.REFUSED_NOT_ALLOWED: ":no_entry:",
    Status.REFUSED_COOLDOWN: ":stopwatch:",
    Status.REFUSED_RATE_LIMITED: ":stopwatch:",
    Status.STORE_UNAVAILABLE: ":rotating_light:",
    Status.PENDING: ":hourglass_flowing_sand:",
    Status.DRY_RUN: ":test_tube:",
    Status.UNKNOWN: ":grey_question:",
}
