"""Asking for a WABA and deciding: the store side of SPEC's flow 7, checked and audited.

A person asks for a WABA, for 1h, 8h, 7d or for good, with a reason; an owner of that WABA or an
admin approves (a grant with that end) or denies, once. An undecided request lapses after 24 h,
found out when someone clicks. Reached through `Service.requests`: the only door from Slack code.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from sqlalchemy.orm import Session, sessionmaker

from bot import admin
from bot.config import Settings
from bot.store import access, owners, wabas
from bot.store import access_requests as requests
from bot.store.admin_log import log_admin_action
from bot.store.models import AccessRequest, Attempt

LAPSE_AFTER = timedelta(hours=24)
# A denial's note for the requester: a sentence or two, not an essay in their DMs.
NOTE_MAX = 500
DURATIONS: dict[str, timedelta | None] = {
    "1h": timedelta(hours=1),
    "8h": timedelta(hours=8),
    "7d": timedelta(days=7),
    "permanent": None,
}
REASON_MAX = 500
# Enough people to reach someone awake; more DMs would be noise.
MOST_RECIPIENTS = 10


@dataclass(frozen=True)
class RequestRecord:
    id: int
    token: str
    user_id: str
    waba_id: str
    waba_name: str
    duration: str
    reason: str
    created_at: datetime
    status: str
    decided_by: str | None
    decided_at: datetime | None
    grant_expires_at: datetime | None
    # The refused resend that led here: "Resend now" repeats it once approved.
    attempt_id: int | None

    @property
    def button_value(self) -> str:
        return f"{self.id}:{self.token}"


@dataclass(frozen=True)
class Recipients:
    """Where a request goes: ACCESS_REQUESTS_CHANNEL, else the WABA's owners by DM, else the admins."""

    channel_id: str | None
    user_ids: tuple[str, ...]
    # "channel", "owners" or "admins": what the requester is told.
    kind: str


@dataclass(frozen=True)
class Asked:
    request: RequestRecord
    # False: this person's request for that WABA was open already; nothing new was made.
    created: bool
    recipients: Recipients


class Outcome(Enum):
    APPROVED = "approved"
    DENIED = "denied"
    LAPSED = "lapsed"
    ALREADY_DECIDED = "already_decided"
    NOT_ALLOWED = "not_allowed"
    OWN_REQUEST = "own_request"
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    request: RequestRecord | None = None
    # Every copy of the request's message, to update once it is decided.
    messages: tuple[tuple[str, str], ...] = ()
    # What the person who denied it wrote for the requester (never on an approval).
    note: str | None = None


class RequestError(ValueError):
    """A request that cannot be made; `field` is the modal's block it belongs to."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class AccessRequests:
    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        clock: Callable[[], datetime],
        manages: Callable[[Session, str, str], bool],
    ) -> None:
        self._settings = settings
        self._sessions = sessions
        self._clock = clock
        self._manages = manages

    def asked_waba(self, attempt_ref: str, user_id: str) -> str | None:
        """The WABA of this person's own refused attempt, to preselect; None for anyone else's."""
        with self._sessions() as session:
            attempt = _own_attempt(session, attempt_ref, user_id)
            return attempt.waba_id if attempt is not None else None

    def ask(
        self, user_id: str, principals: frozenset[str], waba_id: str, duration: str, reason: str, attempt_ref: str
    ) -> Asked:
        """Open a request (or find the open one); raises RequestError on what the modal should flag."""
        reason = reason.strip()
        if duration not in DURATIONS:
            raise RequestError("duration", "Choose how long: 1 hour, 8 hours, 7 days or permanent.")
        if not reason:
            raise RequestError("reason", "Say why you need it: the approver reads this.")
        if len(reason) > REASON_MAX:
            raise RequestError("reason", f"Keep the reason under {REASON_MAX} characters.")
        now = self._clock()
        with self._sessions.begin() as session:
            waba = wabas.get_waba(session, waba_id)
            if waba is None:
                raise RequestError("waba_id", "Choose a WABA from the list.")
            if access.may_use(session, principals, waba_id, now):
                raise RequestError("waba_id", f"You may use {waba.name} already: no request needed.")
            existing = requests.open_request_for(session, user_id, waba_id)
            if existing is not None and existing.created_at + LAPSE_AFTER <= now:
                _lapse(session, existing, now)
                existing = None
            created = existing is None
            if existing is None:
                attempt = _own_attempt(session, attempt_ref, user_id)
                existing = requests.add_request(
                    session,
                    token=secrets.token_urlsafe(16),
                    user_id=user_id,
                    waba_id=waba_id,
                    duration=duration,
                    reason=reason,
                    attempt_id=attempt.id if attempt is not None and attempt.waba_id == waba_id else None,
                    now=now,
                )
                if existing is None:  # another process opened it a moment ago
                    existing = requests.open_request_for(session, user_id, waba_id)
                    created = False
                if existing is None:
                    raise RequestError("waba_id", "Your request could not be saved just now: please try again.")
                if created:
                    detail = f"#{existing.id} {user_id} {waba_id} {duration}: {reason[:200]}"
                    log_admin_action(session, f"slack:{user_id}", "access_request", detail)
            return Asked(_record(existing, waba.name), created, self._recipients(session, waba_id))

    def record_message(self, request_id: int, channel_id: str, ts: str) -> None:
        with self._sessions.begin() as session:
            requests.record_message(session, request_id, channel_id, ts)

    def may_decide_now(self, button_value: str, decider: str) -> bool:
        """Whether `decider` may decide this open, unlapsed request (read only: a form may open for it)."""
        now = self._clock()
        with self._sessions() as session:
            request = _by_button(session, button_value)
            if request is None or request.created_at + LAPSE_AFTER <= now:
                return False
            return self._refusal(session, request, decider, request.waba_id) is None

    def _refusal(self, session: Session, request: AccessRequest, decider: str, name: str) -> Decision | None:
        if request.status != requests.OPEN:
            return Decision(Outcome.ALREADY_DECIDED, _record(request, name))
        if decider == request.user_id:
            return Decision(Outcome.OWN_REQUEST, _record(request, name))
        if not self._manages(session, decider, request.waba_id):
            return Decision(Outcome.NOT_ALLOWED, _record(request, name))
        return None

    def decide(self, button_value: str, decider: str, *, approve: bool, note: str | None = None) -> Decision:
        """Approve (a grant that ends after the asked duration) or deny (with an optional note), once."""
        now = self._clock()
        with self._sessions.begin() as session:
            request = _by_button(session, button_value)
            if request is None:
                return Decision(Outcome.NOT_FOUND)
            waba = wabas.get_waba(session, request.waba_id)
            name = waba.name if waba is not None else request.waba_id
            if refused := self._refusal(session, request, decider, name):
                return refused
            if approve and waba is None:
                return Decision(Outcome.NOT_FOUND)  # the WABA was removed since: nothing to grant
            copies = tuple(requests.messages(session, request.id))
            if request.created_at + LAPSE_AFTER <= now:
                if not _lapse(session, request, now):
                    return _decided_meanwhile(session, request, name)
                return Decision(Outcome.LAPSED, _record(request, name), copies)
            lasting = DURATIONS.get(request.duration)
            ends = now + lasting if lasting is not None else None
            status = requests.APPROVED if approve else requests.DENIED
            if not requests.close(session, request.id, status, by=decider, now=now, grant_expires_at=ends):
                return _decided_meanwhile(session, request, name)
            actor = f"slack:{decider}"
            if approve:
                _grant_unless_longer(session, actor, request, lasting, now)
            note = None if approve else (note or "").strip()[:NOTE_MAX] or None
            action = "access_approve" if approve else "access_deny"
            detail = f"#{request.id} {request.user_id} {request.waba_id}" + (f" note: {note}" if note else "")
            log_admin_action(session, actor, action, detail)
            session.refresh(request)
            return Decision(Outcome.APPROVED if approve else Outcome.DENIED, _record(request, name), copies, note)

    def _recipients(self, session: Session, waba_id: str) -> Recipients:
        if self._settings.access_requests_channel:
            return Recipients(self._settings.access_requests_channel, (), "channel")
        owned_by = tuple(o.user_id for o in owners.list_owners(session, waba_id))
        if owned_by:
            return Recipients(None, owned_by[:MOST_RECIPIENTS], "owners")
        # Read in this transaction: a second session would wait on the write lock this one holds (SQLite).
        admins = access.admin_ids(session, self._settings.admin_user_ids)
        return Recipients(None, tuple(admins[:MOST_RECIPIENTS]), "admins")


def _own_attempt(session: Session, attempt_ref: str, user_id: str) -> Attempt | None:
    if not attempt_ref.isdigit():
        return None
    attempt = session.get(Attempt, int(attempt_ref))
    return attempt if attempt is not None and attempt.user_id == user_id else None


def _by_button(session: Session, button_value: str) -> AccessRequest | None:
    """The request an Approve or Deny button names, when its token matches (a forged value names none)."""
    request_id, _, token = button_value.partition(":")
    request = session.get(AccessRequest, int(request_id)) if request_id.isdigit() else None
    if request is None or not hmac.compare_digest(request.token.encode(), token.encode()):
        return None
    return request


def _lapse(session: Session, request: AccessRequest, now: datetime) -> bool:
    if not requests.close(session, request.id, requests.LAPSED, by=None, now=now, grant_expires_at=None):
        return False
    log_admin_action(session, "bot", "access_lapse", f"#{request.id} {request.user_id} {request.waba_id}")
    session.refresh(request)
    return True


def _decided_meanwhile(session: Session, request: AccessRequest, name: str) -> Decision:
    # Another click (another process) decided it between our read and our update.
    session.refresh(request)
    return Decision(Outcome.ALREADY_DECIDED, _record(request, name))


def _grant_unless_longer(
    session: Session, actor: str, request: AccessRequest, lasting: timedelta | None, now: datetime
) -> None:
    """Grant what was asked, but never shorten a grant the person got meanwhile (permanent, or ending later)."""
    for held in access.live_grants(session, {request.user_id}, now):
        if held.waba_id == request.waba_id and (
            held.expires_at is None or (lasting is not None and held.expires_at >= now + lasting)
        ):
            return
    admin.grant(session, actor, request.user_id, request.waba_id, lasting, now=now)


def _record(request: AccessRequest, waba_name: str) -> RequestRecord:
    return RequestRecord(
        request.id,
        request.token,
        request.user_id,
        request.waba_id,
        waba_name,
        request.duration,
        request.reason,
        request.created_at,
        request.status,
        request.decided_by,
        request.decided_at,
        request.grant_expires_at,
        request.attempt_id,
    )
