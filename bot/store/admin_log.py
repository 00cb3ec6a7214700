"""The audit of admin changes: who added or removed WABAs, grants and admins."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store.models import AdminAction


def log_admin_action(session: Session, actor: str, action: str, detail: str) -> None:
    session.add(AdminAction(actor=actor, action=action, detail=detail))


def recent_admin_actions(session: Session, limit: int = 20, since: datetime | None = None) -> list[AdminAction]:
    query = select(AdminAction).order_by(AdminAction.created_at.desc(), AdminAction.id.desc()).limit(limit)
    if since is not None:
        query = query.where(AdminAction.created_at >= since)
    return list(session.scalars(query))
