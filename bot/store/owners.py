"""A WABA's owners: who may grant, revoke and approve requests for that WABA alone."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store.models import WabaOwner


def add_owner(session: Session, waba_id: str, user_id: str, *, by: str) -> bool:
    """False when that person owned the WABA already."""
    if session.get(WabaOwner, (waba_id, user_id)) is not None:
        return False
    session.add(WabaOwner(waba_id=waba_id, user_id=user_id, added_by=by))
    session.flush()
    return True


def remove_owner(session: Session, waba_id: str, user_id: str) -> bool:
    owner = session.get(WabaOwner, (waba_id, user_id))
    if owner is None:
        return False
    session.delete(owner)
    return True


def list_owners(session: Session, waba_id: str | None = None) -> list[WabaOwner]:
    query = select(WabaOwner).order_by(WabaOwner.waba_id, WabaOwner.user_id)
    if waba_id is not None:
        query = query.where(WabaOwner.waba_id == waba_id)
    return list(session.scalars(query))


def owns(session: Session, user_id: str, waba_id: str) -> bool:
    return session.get(WabaOwner, (waba_id, user_id)) is not None


def owned_wabas(session: Session, user_id: str) -> set[str]:
    return set(session.scalars(select(WabaOwner.waba_id).where(WabaOwner.user_id == user_id)))
