"""The channels the bot watches for alerts."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store.models import WatchedChannel
from bot.store.rows import add_new, remove_by_key


def add_watch(session: Session, channel_id: str, *, by: str) -> bool:
    """Watch a channel; False when it was watched already."""
    return add_new(session, WatchedChannel(channel_id=channel_id, added_by=by), channel_id)


def remove_watch(session: Session, channel_id: str) -> bool:
    return remove_by_key(session, WatchedChannel, channel_id)


def list_watched(session: Session) -> list[WatchedChannel]:
    return list(session.scalars(select(WatchedChannel).order_by(WatchedChannel.created_at, WatchedChannel.channel_id)))


def is_watched(session: Session, channel_id: str) -> bool:
    return session.get(WatchedChannel, channel_id) is not None
