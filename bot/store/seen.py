"""Slack requests already handled, kept for Slack's 5-minute signature window, shared by every process."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from bot.store.db import dialect_insert
from bot.store.models import SeenRequest

# Slack refuses signatures older than 5 minutes; a request is remembered a little longer.
REMEMBER = timedelta(minutes=6)


def first_sightings(session: Session, keys: Iterable[str], now: datetime) -> list[bool]:
    """Record every key; for each, True when it was not seen before, this call's earlier keys included.

    One INSERT … ON CONFLICT DO NOTHING each.
    """
    insert = dialect_insert(session)
    firsts = []
    for key in keys:
        statement = (
            insert(SeenRequest)
            .values(key=key, seen_at=now)
            .on_conflict_do_nothing(index_elements=[SeenRequest.key])
            .returning(SeenRequest.key)
        )
        firsts.append(session.execute(statement).scalar_one_or_none() is not None)
    return firsts


def forget_old(session: Session, now: datetime) -> None:
    """Drop what is past the window: a replay that old fails its signature check anyway."""
    session.execute(delete(SeenRequest).where(SeenRequest.seen_at < now - REMEMBER))
