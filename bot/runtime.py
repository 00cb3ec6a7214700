"""The pieces a running bot shares, built once from the settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.kaleyra import KaleyraClient
from bot.network import NetworkLoop
from bot.resend import Resender
from bot.service import Service
from bot.store import attempts
from bot.store.db import StoreError, ensure_migrated, make_engine, make_sessions
from bot.store.models import utcnow


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    resender: Resender
    service: Service
    # Where the Kaleyra and Slack connections live; closed with `close`.
    network: NetworkLoop

    def close(self) -> None:
        """Close the network connections and the database pool."""
        self.network.close()
        self.engine.dispose()


def build_runtime(
    settings: Settings, *, check_migrated: bool = True, clock: Callable[[], datetime] = utcnow
) -> Runtime:
    """Connect to the store (refusing an un-migrated one) and wire the use case; `clock` for every expiry."""
    engine = make_engine(settings.database_url)
    if check_migrated:
        try:
            ensure_migrated(engine)
        except StoreError:
            engine.dispose()  # close the pooled connection now, not whenever it is collected
            raise
    sessions = make_sessions(engine)
    network = NetworkLoop()
    resender = Resender(settings, sessions, KaleyraClient.from_settings(settings, network), clock)
    return Runtime(settings, engine, sessions, resender, Service(settings, sessions, clock), network)


def recover_interrupted_attempts(runtime: Runtime) -> int:
    """Mark `pending` attempts older than any live call could be as `unknown`."""
    # Another process may still be inside a call: only rows older than its deadline are stale.
    grace = timedelta(seconds=runtime.settings.kaleyra_timeout_seconds * 2 + 30)
    with runtime.sessions.begin() as session:
        return attempts.mark_stale_pending(session, grace)
