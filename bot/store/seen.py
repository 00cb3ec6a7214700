"""Slack requests already handled, kept for Slack's 5-minute signature window, shared by every process."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.store.models import SeenRequest

# Slack refuses signatures older than 5 minutes; a request is remembered a little longer.
REMEMBER = timedelta(minutes=6)


def first_sighting(session: Session, keys: Iterable[str], now: datetime) -> bool:
    """Record every key; True only when none was seen before (one INSERT … ON CONFLICT DO NOTHING each)."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    first = True
    for key in keys:
        statement = (
            insert(SeenRequest)
            .values(key=key, seen_at=now)
            .on_conflict_do_nothing(index_elements=[SeenRequest.key])
            .returning(SeenRequest.key)
        )
        if session.execute(statement).scalar_one_or_none() is None:
            first = False
    return first


def forget_old(session: Session, now: datetime) -> None:
    """Drop what is past the window: a replay that old fails its signature check anyway."""
    session.execute(delete(SeenRequest).where(SeenRequest.seen_at < now - REMEMBER))
