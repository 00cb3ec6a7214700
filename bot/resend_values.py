"""What the resend use case takes (who asks, from where) and gives back (where an attempt stands)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime

from bot.kaleyra import KaleyraOutcome, Verification
from bot.phone import mask_phone
from bot.request import ResendRequest, ValidRequest
from bot.status import Status
from bot.store import cooldown


@dataclass(frozen=True)
class Requester:
    """Who asks: a Slack user id (or a CLI `--as`) and the user groups they belong to."""

    user_id: str
    group_ids: frozenset[str] = frozenset()
    # Granted groups Slack could not say the user is in or not (it failed for too long): not counted.
    unconfirmed_group_ids: frozenset[str] = frozenset()

    @property
    def principals(self) -> frozenset[str]:
        return self.group_ids | {self.user_id}


@dataclass(frozen=True)
class Origin:
    """Where the request came from, for the audit."""

    surface: str
    channel_id: str | None = None
    thread_ts: str | None = None


@dataclass(frozen=True)
class ResendResult:
    status: Status
    requester: Requester
    request: ResendRequest
    attempt_id: int | None = None
    # Set only for a WABA the asker may use: a refusal never names one.
    waba_name: str | None = None
    # The WABA id is one the bot knows (so the log may show it unmasked).
    waba_known: bool = False
    phone_number: str | None = None
    verification: Verification | None = None
    kaleyra: KaleyraOutcome | None = None
    field_errors: Mapping[str, str] = field(default_factory=dict)
    held: cooldown.Held | None = None
    retry_at: datetime | None = None
    dry_run: bool = False
    surface: str = ""

    @property
    def masked_number(self) -> str:
        return mask_phone(self.phone_number) if self.phone_number else "the number"


@dataclass(frozen=True)
class Started:
    """An attempt written `pending`, with what the Kaleyra call needs."""

    result: ResendResult
    attempt_id: int
    request: ValidRequest
    claim: cooldown.Claim | None
    kaleyra_sid: str | None
    kaleyra_region: str | None


@dataclass(frozen=True)
class Told:
    """Where a surface told the person the outcome (recorded with it) and the thread it is in."""

    delivery: str
    thread_ts: str | None = None


Tell = Callable[[ResendResult], Told]


@dataclass(frozen=True)
class Calling:
    """A Kaleyra call on its way (None in a dry run): `result()` is the recorded outcome."""

    started: Started
    outcome: Future[KaleyraOutcome] | None
    complete: Callable[[Started, KaleyraOutcome | None, Tell | None], ResendResult]

    def result(self, tell: Tell | None = None) -> ResendResult:
        """Wait for Kaleyra's answer and record it.

        `tell` (a surface posting the outcome) runs first, so the person hears as soon as Kaleyra
        answers; then the outcome and where it was told are recorded in one transaction, whatever
        `tell` did.
        """
        return self.complete(self.started, self.outcome.result() if self.outcome is not None else None, tell)
