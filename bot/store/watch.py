"""The channels the bot watches for alerts."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store.models import WatchedChannel


def add_watch(session: Session, channel_id: str, *, by: str) -> bool:
    """Watch a channel; False when it was watched already."""
    if session.get(WatchedChannel, channel_id) is not None:
        return False
    session.add(WatchedChannel(channel_id=channel_id, added_by=by))
    session.flush()
    return True


def remove_watch(session: Session, channel_id: str) -> bool:
    watched = session.get(WatchedChannel, channel_id)
    if watched is None:
        return False
    session.delete(watched)
    return True


def list_watched(session: Session) -> list[WatchedChannel]:
    return list(session.scalars(select(WatchedChannel).order_by(WatchedChannel.created_at, WatchedChannel.channel_id)))


def is_watched(session: Session, channel_id: str) -> bool:
    return session.get(WatchedChannel, channel_id) is not None
