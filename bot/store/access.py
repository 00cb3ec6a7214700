"""Who may resend for which WABA (grants), and who may change that (admins)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.principals import GROUP_ID
from bot.store.models import ALL_WABAS, Admin, Grant, Waba


def add_grant(session: Session, principal: str, waba_id: str, *, by: str) -> bool:
    """Grant a WABA (or `*`); False when that grant existed already."""
    exists = session.scalar(select(Grant.id).where(Grant.principal == principal, Grant.waba_id == waba_id))
    if exists is not None:
        return False
    session.add(Grant(principal=principal, waba_id=waba_id, granted_by=by))
    session.flush()
    return True


def remove_grant(session: Session, principal: str, waba_id: str) -> bool:
    result = session.execute(delete(Grant).where(Grant.principal == principal, Grant.waba_id == waba_id))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def list_grants(session: Session, principal: str | None = None) -> list[Grant]:
    query = select(Grant).order_by(Grant.principal, Grant.waba_id)
    if principal is not None:
        query = query.where(Grant.principal == principal)
    return list(session.scalars(query))


def granted_group_ids(session: Session) -> set[str]:
    """User groups that hold any grant: the only groups worth resolving members for."""
    principals = session.scalars(select(Grant.principal).distinct())
    return {p for p in principals if GROUP_ID.match(p)}


def allowed_wabas(session: Session, principals: Iterable[str]) -> list[Waba]:
    """The known WABAs that these principals (a user and their groups) may use."""
    granted = set(session.scalars(select(Grant.waba_id).where(Grant.principal.in_(set(principals)))))
    query = select(Waba).order_by(Waba.name, Waba.id)
    if ALL_WABAS not in granted:
        query = query.where(Waba.id.in_(granted))
    return list(session.scalars(query))


def may_use(session: Session, principals: Iterable[str], waba_id: str) -> bool:
    return (
        session.scalar(
            select(Grant.id)
            .where(Grant.principal.in_(set(principals)), Grant.waba_id.in_((waba_id, ALL_WABAS)))
            .limit(1)
        )
        is not None
    )


def add_admin(session: Session, user_id: str, *, by: str) -> bool:
    if session.get(Admin, user_id) is not None:
        return False
    session.add(Admin(user_id=user_id, added_by=by))
    session.flush()
    return True


def remove_admin(session: Session, user_id: str) -> bool:
    admin = session.get(Admin, user_id)
    if admin is None:
        return False
    session.delete(admin)
    return True


def list_admins(session: Session) -> list[Admin]:
    return list(session.scalars(select(Admin).order_by(Admin.user_id)))


def is_admin(session: Session, user_id: str) -> bool:
    return session.get(Admin, user_id) is not None
