"""Who may resend for which WABA (grants), and who may change that (admins)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import Enum

from sqlalchemy import ColumnElement, delete, or_, select
from sqlalchemy.orm import Session

from bot.principals import GROUP_ID
from bot.store.models import ALL_WABAS, Admin, Grant, Waba
from bot.store.rows import add_new, remove_by_key


class GrantChange(Enum):
    """What `set_grant` did, for the admin's answer."""

    ADDED = "added"
    CHANGED = "changed"
    UNCHANGED = "unchanged"


def set_grant(
    session: Session, principal: str, waba_id: str, *, by: str, expires_at: datetime | None, now: datetime
) -> tuple[GrantChange, datetime | None]:
    """Grant a WABA (or `*`) until `expires_at` (None: permanent); returns what changed and the old end.

    Granting again sets the end given; an ended grant is renewed by it.
    """
    grant = session.scalar(select(Grant).where(Grant.principal == principal, Grant.waba_id == waba_id))
    if grant is None:
        session.add(Grant(principal=principal, waba_id=waba_id, granted_by=by, created_at=now, expires_at=expires_at))
        session.flush()
        return GrantChange.ADDED, None
    before = grant.expires_at
    if before == expires_at:
        return GrantChange.UNCHANGED, before
    grant.expires_at = expires_at
    grant.granted_by = by
    grant.created_at = now
    return GrantChange.CHANGED, before


def add_grant(session: Session, principal: str, waba_id: str, *, by: str, expires_at: datetime | None = None) -> bool:
    """Grant a WABA (or `*`) when that principal has no grant for it yet; False when it had one."""
    exists = session.scalar(select(Grant.id).where(Grant.principal == principal, Grant.waba_id == waba_id))
    if exists is not None:
        return False
    session.add(Grant(principal=principal, waba_id=waba_id, granted_by=by, expires_at=expires_at))
    session.flush()
    return True


def remove_grant(session: Session, principal: str, waba_id: str) -> bool:
    result = session.execute(delete(Grant).where(Grant.principal == principal, Grant.waba_id == waba_id))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def list_grants(session: Session, principal: str | None = None) -> list[Grant]:
    """Every grant, ended ones too (listings show when each ends)."""
    query = select(Grant).order_by(Grant.principal, Grant.waba_id)
    if principal is not None:
        query = query.where(Grant.principal == principal)
    return list(session.scalars(query))


def _live(now: datetime) -> ColumnElement[bool]:
    """A grant that has not ended: checked at use time, so nothing has to sweep ended ones away."""
    return or_(Grant.expires_at.is_(None), Grant.expires_at > now)


def live_grants(session: Session, principals: Iterable[str], now: datetime) -> list[Grant]:
    """The grants these principals hold that have not ended."""
    query = select(Grant).where(Grant.principal.in_(set(principals)), _live(now))
    return list(session.scalars(query.order_by(Grant.waba_id, Grant.principal)))


def granted_group_ids(session: Session, now: datetime) -> set[str]:
    """User groups that hold a grant that has not ended: the only groups worth resolving members for."""
    principals = session.scalars(select(Grant.principal).where(_live(now)).distinct())
    return {p for p in principals if GROUP_ID.match(p)}


def allowed_wabas(session: Session, principals: Iterable[str], now: datetime) -> list[Waba]:
    """The known WABAs that these principals (a user and their groups) may use now."""
    granted = {g.waba_id for g in live_grants(session, principals, now)}
    query = select(Waba).order_by(Waba.name, Waba.id)
    if ALL_WABAS not in granted:
        query = query.where(Waba.id.in_(granted))
    return list(session.scalars(query))


def may_use(session: Session, principals: Iterable[str], waba_id: str, now: datetime) -> bool:
    return (
        session.scalar(
            select(Grant.id)
            .where(Grant.principal.in_(set(principals)), Grant.waba_id.in_((waba_id, ALL_WABAS)), _live(now))
            .limit(1)
        )
        is not None
    )


def add_admin(session: Session, user_id: str, *, by: str) -> bool:
    return add_new(session, Admin(user_id=user_id, added_by=by), user_id)


def remove_admin(session: Session, user_id: str) -> bool:
    return remove_by_key(session, Admin, user_id)


def list_admins(session: Session) -> list[Admin]:
    return list(session.scalars(select(Admin).order_by(Admin.user_id)))


def admin_ids(session: Session, listed: Iterable[str]) -> list[str]:
    """Who may manage everything: `listed` (ADMIN_USER_IDS) first, then the store's admins."""
    first = sorted(listed)
    return first + [a.user_id for a in list_admins(session) if a.user_id not in first]


def is_admin(session: Session, user_id: str) -> bool:
    return session.get(Admin, user_id) is not None
