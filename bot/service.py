"""What the surfaces read and change, checked; the only door from Slack code and the edge to the store."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.store import seen
from bot.store.models import utcnow

log = logging.getLogger(__name__)

# Forgetting requests past Slack's window is a small delete; once a minute is plenty.
FORGET_EVERY_SECONDS = 60.0


class Service:
    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], datetime] = utcnow) -> None:
        self._sessions = sessions
        self._clock = clock
        self._forgot_at = 0.0
        self._forget_lock = threading.Lock()

    def first_sighting(self, keys: list[str]) -> bool:
        """True when no process has handled any of these (a request's signature, an event id) before."""
        now = self._clock()
        try:
            with self._sessions.begin() as session:
                first = seen.first_sighting(session, keys, now)
                if self._forget_due():
                    seen.forget_old(session, now)
        except SQLAlchemyError:
            # Without the store, a resend is refused anyway (it cannot be audited); help, the form and
            # the outcome of an event (a card twice beats none) should still work.
            log.warning("store unavailable: request handled without the replay check")
            return True
        return first

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
