"""The resend use case that Slack, Socket Mode and the CLI all call.

validate → authorise → claim the cooldown → audit `pending` → call Kaleyra → complete.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.kaleyra import KaleyraClient, KaleyraOutcome, confirms_phone_number_id
from bot.logs import held_secrets
from bot.phone import mask_tail
from bot.request import PHONE_NUMBER_FIELD, WABA_FIELD, ResendRequest, ValidRequest, validate
from bot.resend_log import log_resend
from bot.resend_values import Calling, Origin, Requester, ResendResult, Started, Tell, Told
from bot.status import Status
from bot.store import access, alert_cards, attempts, cooldown, limits, wabas
from bot.store.models import utcnow
from bot.untrusted import clean_outcome

log = logging.getLogger(__name__)


class Resender:
    """Runs one resend end to end; every surface calls `resend`."""

    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        kaleyra: KaleyraClient,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._settings = settings
        self._sessions = sessions
        self._kaleyra = kaleyra
        self._clock = clock
        self._secrets = held_secrets(settings)

    def resend(self, requester: Requester, origin: Origin, request: ResendRequest) -> ResendResult:
        """The whole use case: start, then finish when nothing refused it."""
        started = self.start(requester, origin, request)
        return started if isinstance(started, ResendResult) else self.finish(started)

    def open_connection(self) -> Future[None] | None:
        """A person opened the form: have the Kaleyra connection ready by the time they submit.

        Nobody needs to wait for it; None in a dry run, which never calls Kaleyra.
        """
        if self._settings.kaleyra_dry_run:
            return None
        return self._kaleyra.open_connection()

    def start(self, requester: Requester, origin: Origin, request: ResendRequest) -> ResendResult | Started:
        """Validate, authorise, claim the cooldown and audit `pending`; quick, no Kaleyra call.

        A surface that must answer within Slack's 3 s (a modal's errors) runs this before its
        ack and `finish` after it.
        """
        result = ResendResult(
            Status.REFUSED_INVALID, requester, request, dry_run=self._settings.kaleyra_dry_run, surface=origin.surface
        )
        audit = _audit_fields(requester, origin, request)
        checked = validate(request, self._settings.default_phone_region)
        try:
            with self._sessions.begin() as session:
                if not isinstance(checked, ValidRequest):
                    return _logged(_refuse(session, result, audit, Status.REFUSED_INVALID, checked))
                result = replace(result, phone_number=checked.phone_number, verification=checked.verification)
                audit.update(phone_number=checked.phone_number, verification=checked.verification.value)
                started = self._start_in(session, result, audit, checked)
            return _logged(started) if isinstance(started, ResendResult) else started
        except SQLAlchemyError:
            log.exception("store unavailable before the Kaleyra call; nothing was sent")
            if not isinstance(checked, ValidRequest):
                # The fields' errors still help the person even though the refusal went unaudited.
                return _logged(replace(result, field_errors=checked))
            return _logged(replace(result, status=Status.STORE_UNAVAILABLE))

    def finish(self, started: Started) -> ResendResult:
        """Call Kaleyra (unless this is a dry run) and record the outcome."""
        return self.call(started).result()

    def call(self, started: Started) -> Calling:
        """Send the Kaleyra request now; `result()` waits for its answer and records the outcome.

        A surface can post its own messages while Kaleyra answers, with the request already sent.
        """
        if self._settings.kaleyra_dry_run:
            return Calling(started, None, self._complete)
        checked = started.request
        outcome = self._kaleyra.retry_otp(
            waba_id=checked.waba_id,
            phone_number_id=checked.phone_number_id,
            phone_number=checked.phone_number,
            verification=checked.verification,
            sid=started.kaleyra_sid,
            base_url=self._settings.kaleyra_url_for(started.kaleyra_region),
        )
        return Calling(started, outcome, self._complete)

    def _complete(self, started: Started, outcome: KaleyraOutcome | None, tell: Tell | None) -> ResendResult:
        """Tell the person (when a surface does), then record the outcome and where it was told."""
        # Before anything reads it: Kaleyra's answer may echo a secret or carry a forged log line.
        outcome = clean_outcome(outcome, self._secrets) if outcome is not None else None
        result = started.result
        if outcome is not None:
            result = replace(result, status=outcome.kind, kaleyra=outcome)
        sent_nothing = outcome is not None and not outcome.kind.may_have_sent
        if started.claim is not None and not sent_nothing:
            result = replace(result, retry_at=self._clock() + timedelta(seconds=self._settings.otp_cooldown_seconds))
        told = None
        try:
            told = tell(result) if tell is not None else None
        finally:
            self._record(started, outcome, result, told, sent_nothing=sent_nothing)
            _logged(result)
        return result

    def _start_in(
        self, session: Session, result: ResendResult, audit: dict[str, object], checked: ValidRequest
    ) -> ResendResult | Started:
        """Authorise, claim the cooldown and write the attempt `pending`, in one transaction."""
        waba = wabas.get_waba(session, checked.waba_id)
        allowed = access.may_use(session, result.requester.principals, checked.waba_id, now=self._clock())
        result = replace(result, waba_known=waba is not None)
        if waba is None or not allowed:
            # Whether a WABA exists, and its name, are only told to someone who may use it.
            if allowed:
                message = f"WABA {checked.waba_id} is not one the bot knows: ask an admin to add it."
                return _refuse(session, result, audit, Status.REFUSED_INVALID, {WABA_FIELD: message})
            message = f"You may not resend OTPs for WABA {checked.waba_id}: ask an admin for access."
            if result.requester.unconfirmed_group_ids:
                # Not the person's fault, and an admin can't help: their groups may well hold the grant.
                message = (
                    f"Slack could not confirm your user groups just now, so a grant to a group of yours for "
                    f"WABA {checked.waba_id} could not count. Nothing was sent: try again in a few minutes."
                )
            return _refuse(session, result, audit, Status.REFUSED_NOT_ALLOWED, {WABA_FIELD: message})
        result = replace(result, waba_name=waba.name)
        # Who asks, as audited: a CLI `--as` name may be longer than the columns that hold it.
        who = str(audit["user_id"])
        if limited := self._over_limit(session, result, who):
            return _refuse(session, limited, audit, Status.REFUSED_RATE_LIMITED, dict(limited.field_errors))
        claim = None
        if self._settings.otp_cooldown_seconds > 0:
            taken = cooldown.claim_cooldown(
                session,
                waba_id=waba.id,
                phone_number=checked.phone_number,
                user_id=who,
                now=self._clock(),
                seconds=self._settings.otp_cooldown_seconds,
            )
            if isinstance(taken, cooldown.Held):
                held = replace(result, held=taken, retry_at=taken.expires_at)
                errors = {PHONE_NUMBER_FIELD: cooldown_message(taken, who)}
                return _refuse(session, held, audit, Status.REFUSED_COOLDOWN, errors)
            claim = taken
        dry_run = self._settings.kaleyra_dry_run
        attempt = attempts.start_attempt(session, created_at=self._clock(), dry_run=dry_run, **audit)
        status = Status.DRY_RUN if dry_run else Status.PENDING
        result = replace(result, status=status, attempt_id=attempt.id)
        return Started(result, attempt.id, checked, claim, waba.kaleyra_sid, waba.kaleyra_region)

    def _over_limit(self, session: Session, result: ResendResult, who: str) -> ResendResult | None:
        """The refusal when this person used up RESENDS_PER_USER_PER_HOUR; None when they may go on."""
        per_hour = self._settings.resends_per_user_per_hour
        if per_hour == 0:
            return None
        retry_at = limits.next_resend_at(session, who, self._clock(), per_hour)
        if retry_at is None:
            return None
        message = (
            f"You have made {per_hour} resends in the last hour, the most one person may. "
            f"The next is possible after {retry_at:%H:%M:%S} UTC."
        )
        return replace(result, retry_at=retry_at, field_errors={PHONE_NUMBER_FIELD: message})

    def _record(
        self,
        started: Started,
        outcome: KaleyraOutcome | None,
        result: ResendResult,
        told: Told | None,
        *,
        sent_nothing: bool,
    ) -> None:
        """Complete the attempt; give the cooldown back when nothing can have been sent."""
        try:
            with self._sessions.begin() as session:
                attempts.complete_attempt(
                    session,
                    started.attempt_id,
                    status=result.status,
                    code=outcome.code if outcome else None,
                    message=outcome.message if outcome else "dry run: Kaleyra was not called",
                    http_status=outcome.http_status if outcome else None,
                    latency_ms=outcome.latency_ms if outcome else 0,
                )
                if told is not None:
                    attempts.record_delivery(session, started.attempt_id, told.delivery, told.thread_ts)
                if started.claim is not None and sent_nothing:
                    cooldown.release_cooldown(session, started.claim)
                if outcome is not None and confirms_phone_number_id(outcome):
                    # An alert or a form that names the number but not its id can use this one.
                    checked = started.request
                    alert_cards.remember_number(
                        session,
                        waba_id=checked.waba_id,
                        phone_number=checked.phone_number,
                        phone_number_id=checked.phone_number_id,
                        now=self._clock(),
                    )
        except SQLAlchemyError:
            # The outcome still reaches the person; the row stays `pending` and is
            # marked `unknown` at the next start.
            log.exception("could not complete attempt %s in the store", result.attempt_id)


def cooldown_message(held: cooldown.Held, asker: str) -> str:
    """Plain text (a modal's error can't render a mention): who asked, and when to try again."""
    who = "you" if held.user_id == asker else held.user_id
    return (
        f"An OTP was just requested for this number by {who} at {held.claimed_at:%H:%M:%S} UTC. "
        f"Try again after {held.expires_at:%H:%M:%S} UTC."
    )


def _refuse(
    session: Session,
    result: ResendResult,
    audit: dict[str, object],
    status: Status,
    errors: dict[str, str],
) -> ResendResult:
    # Marked like the dry run's sends, so staging traffic is told apart in the audit.
    message = " ".join(errors.values())
    attempt = attempts.record_refusal(session, status, message, dry_run=result.dry_run, **audit)
    return replace(result, status=status, field_errors=errors, attempt_id=attempt.id)


def _logged(result: ResendResult) -> ResendResult:
    """A final result, logged and counted once; returned unchanged."""
    # Something typed in the WABA field that is not a known WABA may be a phone number.
    typed = result.request.waba_id.strip()[:32]
    log_resend(
        status=result.status,
        surface=result.surface,
        user=result.requester.user_id,
        waba_id=(typed if result.waba_known else mask_tail(typed)) or None,
        number=result.masked_number if result.phone_number else None,
        kaleyra=result.kaleyra,
        attempt_id=result.attempt_id,
    )
    return result


def _audit_fields(requester: Requester, origin: Origin, request: ResendRequest) -> dict[str, object]:
    # Refusals keep what was typed, cut to the columns' size.
    return {
        "user_id": requester.user_id[:64],
        "surface": origin.surface[:16],
        "channel_id": origin.channel_id,
        "thread_ts": origin.thread_ts,
        "waba_id": _as_typed(request.waba_id, 64),
        "phone_number": _as_typed(request.phone_number, 64),
        "phone_number_id": _as_typed(request.phone_number_id, 64),
        "verification": _as_typed((request.verification or "").upper(), 8),
    }


def _as_typed(text: str, size: int) -> str:
    # PostgreSQL refuses NUL in text: kept, it would lose the whole refusal from the audit.
    return text.replace("\x00", "").strip()[:size]
