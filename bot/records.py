"""Plain values the service hands to the surfaces: never a row still bound to a session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.status import Status


@dataclass(frozen=True)
class WabaChoice:
    id: str
    name: str


@dataclass(frozen=True)
class AttemptRecord:
    """An audited attempt as a person may see it (the number is stored as typed or normalised)."""

    id: int
    created_at: datetime
    user_id: str
    waba_id: str
    # None when the WABA is not (or no longer) one the bot knows.
    waba_name: str | None
    phone_number: str
    verification: str
    status: Status
    code: str | None


@dataclass(frozen=True)
class GrantRecord:
    principal: str
    waba_id: str
    # None: permanent.
    expires_at: datetime | None = None
    # None for `*` and for a WABA the bot no longer knows.
    waba_name: str | None = None
    # Ended by the service's clock: it counts for nothing until granted again.
    ended: bool = False


@dataclass(frozen=True)
class OwnerRecord:
    waba_id: str
    user_id: str
