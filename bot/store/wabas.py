"""The WABAs the bot knows."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store.models import Waba
from bot.store.rows import remove_by_key


def add_waba(session: Session, waba_id: str, name: str, *, sid: str | None = None, region: str | None = None) -> Waba:
    """Add a WABA; for a known one, change only what is given (see `change_waba`)."""
    waba = session.get(Waba, waba_id)
    if waba is None:
        waba = Waba(id=waba_id, name=name, kaleyra_sid=sid or None, kaleyra_region=region or None)
        session.add(waba)
        session.flush()
    else:
        change_waba(session, waba, name=name, sid=sid, region=region)
    return waba


def change_waba(
    session: Session, waba: Waba, *, name: str | None = None, sid: str | None = None, region: str | None = None
) -> dict[str, tuple[str | None, str | None]]:
    """Change the fields given (None keeps one, "" clears a SID or region override); returns (old, new) by field."""
    wanted = {"name": name, "kaleyra_sid": sid, "kaleyra_region": region}
    changes: dict[str, tuple[str | None, str | None]] = {}
    for column, value in wanted.items():
        if value is None or (column == "name" and not value):
            continue
        old, new = getattr(waba, column), value or None
        if old != new:
            setattr(waba, column, new)
            changes[column] = (old, new)
    session.flush()
    return changes


def remove_waba(session: Session, waba_id: str) -> bool:
    return remove_by_key(session, Waba, waba_id)


def list_wabas(session: Session, ids: set[str] | None = None) -> list[Waba]:
    """Every WABA, or only those among `ids`, by name."""
    query = select(Waba).order_by(Waba.name, Waba.id)
    if ids is not None:
        query = query.where(Waba.id.in_(ids))
    return list(session.scalars(query))


def get_waba(session: Session, waba_id: str) -> Waba | None:
    return session.get(Waba, waba_id)
