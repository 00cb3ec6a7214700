"""The WABAs the bot knows."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store.models import Waba


def add_waba(session: Session, waba_id: str, name: str, *, sid: str | None = None, region: str | None = None) -> Waba:
    """Add a WABA, or rename it (and update its Kaleyra account) when it is known already."""
    waba = session.get(Waba, waba_id)
    if waba is None:
        waba = Waba(id=waba_id, name=name, kaleyra_sid=sid, kaleyra_region=region)
        session.add(waba)
    else:
        waba.name, waba.kaleyra_sid, waba.kaleyra_region = name, sid, region
    session.flush()
    return waba


def remove_waba(session: Session, waba_id: str) -> bool:
    waba = session.get(Waba, waba_id)
    if waba is None:
        return False
    session.delete(waba)
    return True


def list_wabas(session: Session, ids: set[str] | None = None) -> list[Waba]:
    """Every WABA, or only those among `ids`, by name."""
    query = select(Waba).order_by(Waba.name, Waba.id)
    if ids is not None:
        query = query.where(Waba.id.in_(ids))
    return list(session.scalars(query))


def get_waba(session: Session, waba_id: str) -> Waba | None:
    return session.get(Waba, waba_id)
