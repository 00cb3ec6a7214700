"""What the surfaces read and change, checked and audited: the only door from Slack code and the edge to the store.

Each method is one unit of work (one transaction); what it returns is plain values, never a
row still bound to a session.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Iterable
from contextlib import AbstractContextManager
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot import admin
from bot.access_requests import AccessRequests
from bot.alert_offers import AlertOffers
from bot.config import Settings
from bot.records import AttemptRecord, GrantRecord, OwnerRecord, WabaChoice
from bot.request import ResendRequest
from bot.status import Status
from bot.store import access, attempts, owners, seen, wabas
from bot.store.attempts import AttemptFilter
from bot.store.db import answering_slack

# Re-exported: Slack code tells `*` grants apart without reaching into the store.
from bot.store.models import ALL_WABAS as ALL_WABAS
from bot.store.models import Attempt, Grant, utcnow

log = logging.getLogger(__name__)

# Forgetting requests past Slack's window is a small delete; once a minute is plenty.
FORGET_EVERY_SECONDS = 60.0
# The replay check runs before the use case, inside the same 3 s: it may wait on a busy SQLite
# this long, leaving the use case its own budget (bot.store.db.answering_slack).
REPLAY_CHECK_BUDGET_SECONDS = 0.5


class Service:
    def __init__(
        self, settings: Settings, sessions: sessionmaker[Session], clock: Callable[[], datetime] = utcnow
    ) -> None:
        self._settings = settings
        self._sessions = sessions
        self._clock = clock
        self._forgot_at = 0.0
        self._forget_lock = threading.Lock()
        # Watched channels, the cards on their alerts and the phone number ids the bot remembers.
        self.alerts = AlertOffers(sessions, clock)
        # Asking for access and deciding (SPEC's flow 7), with the same checks as grant and revoke.
        self.requests = AccessRequests(settings, sessions, clock, self._manages)

    # -- who may do what ----------------------------------------------------

    def allowed_wabas(self, principals: Collection[str]) -> list[WabaChoice]:
        """The WABAs a user (with their groups) may resend for, by name."""
        with self._sessions() as session:
            return [WabaChoice(w.id, w.name) for w in access.allowed_wabas(session, principals, now=self._clock())]

    def admins(self) -> list[str]:
        """Who may manage WABAs and grants: ADMIN_USER_IDS, then the store's admins."""
        with self._sessions() as session:
            return access.admin_ids(session, self._settings.admin_user_ids)

    def is_admin(self, user_id: str) -> bool:
        if user_id in self._settings.admin_user_ids:
            return True
        with self._sessions() as session:
            return access.is_admin(session, user_id)

    def granted_group_ids(self) -> set[str]:
        """User groups holding any grant: the only ones whose members matter."""
        with self._sessions() as session:
            return access.granted_group_ids(session, now=self._clock())

    # -- attempts -----------------------------------------------------------

    def visible_attempts(
        self,
        user_id: str,
        principals: Collection[str],
        limit: int,
        *,
        phone_number: str | None = None,
        waba_id: str | None = None,
    ) -> list[AttemptRecord]:
        """Recent attempts this user may see (their own, and those on WABAs they may use), maybe narrowed."""
        with self._sessions() as session:
            allowed = frozenset(w.id for w in access.allowed_wabas(session, principals, now=self._clock()))
            visible = AttemptFilter(
                user_ids=frozenset({user_id}), waba_ids=allowed, phone_number=phone_number, waba_id=waba_id
            )
            return _records(session, attempts.recent_attempts(session, visible, limit))

    def own_attempts(self, user_id: str, limit: int) -> list[AttemptRecord]:
        with self._sessions() as session:
            mine = attempts.recent_attempts(session, AttemptFilter(user_ids=frozenset({user_id})), limit)
            return _records(session, mine)

    def repeatable_request(self, attempt_id: str, user_id: str, principals: Collection[str]) -> ResendRequest | None:
        """The fields of an attempt this user may see, to send again; None for any other id.

        A person may repeat their own attempts and those on a WABA they may use: nobody learns
        anything about an attempt they could not see (the use case authorises the repeat itself).
        """
        if not attempt_id.isdigit():
            return None
        with self._sessions() as session:
            earlier = session.get(Attempt, int(attempt_id))
            if earlier is None:
                return None
            if earlier.user_id != user_id and not access.may_use(
                session, principals, earlier.waba_id, now=self._clock()
            ):
                return None
            return ResendRequest(earlier.waba_id, earlier.phone_number_id, earlier.phone_number, earlier.verification)

    def record_parent(self, attempt_id: int, channel_id: str, ts: str) -> None:
        """The message a command's outcome is threaded under, for the fix-up after a crash."""
        with self._sessions.begin() as session:
            attempts.record_parent(session, attempt_id, channel_id, ts)

    def answering_slack(self) -> AbstractContextManager[None]:
        """Around the store work inside an ack: waits on a busy database are bounded to fit Slack's 3 s."""
        return answering_slack()

    # -- WABAs and grants, for admins ---------------------------------------

    def list_wabas(self) -> list[WabaChoice]:
        with self._sessions() as session:
            return [WabaChoice(w.id, w.name) for w in wabas.list_wabas(session)]

    def list_grants(self, principal: str | None) -> list[GrantRecord]:
        """Every grant (ended ones too), with when each ends."""
        with self._sessions() as session:
            return _grant_records(session, access.list_grants(session, principal), self._clock())

    def own_grants(self, principals: Collection[str]) -> list[GrantRecord]:
        """The grants a person holds now (theirs and their groups'), with when each ends."""
        now = self._clock()
        with self._sessions() as session:
            return _grant_records(session, access.live_grants(session, principals, now), now)

    def may_manage(self, user_id: str, waba_id: str) -> bool:
        """An admin, or an owner of this WABA: who may grant, revoke and decide requests for it."""
        with self._sessions() as session:
            return self._manages(session, user_id, waba_id)

    def _manages(self, session: Session, user_id: str, waba_id: str) -> bool:
        if user_id in self._settings.admin_user_ids or access.is_admin(session, user_id):
            return True
        return waba_id != ALL_WABAS and owners.owns(session, user_id, waba_id)

    def _managed(self, user_id: str, waba_id: str, apply: Callable[[Session, str], str]) -> str:
        """A change to one WABA's grants by an admin or that WABA's owner, checked in its own transaction."""
        with self._sessions.begin() as session:
            if not self._manages(session, user_id, waba_id):
                if waba_id == ALL_WABAS:
                    raise admin.AdminError("Only the bot's admins may grant or revoke every WABA (*).")
                raise admin.AdminError(f"Only the bot's admins and the owners of WABA {waba_id} may change its grants.")
            return apply(session, f"slack:{user_id}")

    def grant(self, user_id: str, principal: str, waba_id: str, lasting: timedelta | None = None) -> str:
        """Grant by a person in Slack: an admin for any WABA, an owner for theirs; None lasts until revoked."""
        now = self._clock()
        return self._managed(user_id, waba_id, lambda s, who: admin.grant(s, who, principal, waba_id, lasting, now=now))

    def revoke(self, user_id: str, principal: str, waba_id: str) -> str:
        return self._managed(user_id, waba_id, lambda s, who: admin.revoke(s, who, principal, waba_id))

    def add_owner(self, actor: str, user_id: str, waba_id: str) -> str:
        return self._change(actor, lambda s, who: admin.add_owner(s, who, user_id, waba_id))

    def remove_owner(self, actor: str, user_id: str, waba_id: str) -> str:
        return self._change(actor, lambda s, who: admin.remove_owner(s, who, user_id, waba_id))

    def list_owners(self, waba_id: str | None = None) -> list[OwnerRecord]:
        with self._sessions() as session:
            return [OwnerRecord(o.waba_id, o.user_id) for o in owners.list_owners(session, waba_id)]

    def _change(self, actor: str, apply: Callable[[Session, str], str]) -> str:
        """Apply one of bot.admin's checked changes in its own transaction; raises AdminError."""
        with self._sessions.begin() as session:
            return apply(session, actor)

    def add_waba(self, actor: str, waba_id: str, name: str) -> str:
        return self._change(actor, lambda s, who: admin.add_waba(s, who, waba_id, name, None, None))

    def remove_waba(self, actor: str, waba_id: str) -> str:
        return self._change(actor, lambda s, who: admin.remove_waba(s, who, waba_id))

    def watch(self, actor: str, channel_id: str) -> str:
        return self._change(actor, lambda s, who: admin.watch_channel(s, who, channel_id))

    def unwatch(self, actor: str, channel_id: str) -> str:
        return self._change(actor, lambda s, who: admin.unwatch_channel(s, who, channel_id))

    # -- the edge -----------------------------------------------------------

    def first_sightings(self, keys: list[str]) -> list[bool]:
        """For each key (a request's signature, an event id): True when no process handled it before."""
        now = self._clock()
        try:
            with answering_slack(REPLAY_CHECK_BUDGET_SECONDS), self._sessions.begin() as session:
                firsts = seen.first_sightings(session, keys, now)
                if self._forget_due():
                    seen.forget_old(session, now)
        except SQLAlchemyError:
            # Without the store, a resend is refused anyway (it cannot be audited); help, the form and
            # the outcome of an event (a card twice beats none) should still work.
            log.warning("store unavailable: request handled without the replay check")
            return [True] * len(keys)
        return firsts

    def database_answers(self) -> bool:
        """For /healthz: one round trip to the database."""
        try:
            with self._sessions() as session:
                session.execute(text("SELECT 1"))
            return True
        except SQLAlchemyError:
            return False

    def _forget_due(self) -> bool:
        with self._forget_lock:
            due = time.monotonic() - self._forgot_at >= FORGET_EVERY_SECONDS
            if due:
                self._forgot_at = time.monotonic()
            return due


def _grant_records(session: Session, grants: Iterable[Grant], now: datetime) -> list[GrantRecord]:
    names = {w.id: w.name for w in wabas.list_wabas(session)}
    return [
        GrantRecord(
            g.principal, g.waba_id, g.expires_at, names.get(g.waba_id), g.expires_at is not None and g.expires_at <= now
        )
        for g in grants
    ]


def _ended(expires_at: datetime | None, now: datetime) -> bool:
    return expires_at is not None and expires_at <= now


def _records(session: Session, rows: Iterable[Attempt]) -> list[AttemptRecord]:
    rows = list(rows)
    names = {w.id: w.name for w in wabas.list_wabas(session, {a.waba_id for a in rows})}
    return [
        AttemptRecord(
            a.id,
            a.created_at,
            a.user_id,
            a.waba_id,
            names.get(a.waba_id),
            a.phone_number,
            a.verification,
            _status(a.status),
            a.code,
        )
        for a in rows
    ]


def _status(value: str) -> Status:
    try:
        return Status(value)
    except ValueError:  # a value a later version wrote: shown, not a crash
        return Status.UNKNOWN
