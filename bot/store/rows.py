"""Rows keyed by one value (an admin, a watched channel, a WABA): added once, removed by key."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bot.store.models import Base


def add_new(session: Session, row: Base, key: Any) -> bool:
    """Add `row` unless one with its key exists; False when it did."""
    if session.get(type(row), key) is not None:
        return False
    session.add(row)
    session.flush()
    return True


def remove_by_key(session: Session, model: type[Base], key: Any) -> bool:
    """Delete the row with this key; False when there was none."""
    row = session.get(model, key)
    if row is None:
        return False
    session.delete(row)
    return True
