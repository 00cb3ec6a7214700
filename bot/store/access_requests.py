"""Access requests: one open per (person, WABA), decided once, and every copy of its message."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.store.models import AccessRequest, AccessRequestMessage

OPEN, APPROVED, DENIED, LAPSED = "open", "approved", "denied", "lapsed"


def _open_key(user_id: str, waba_id: str) -> str:
    return f"{user_id}:{waba_id}"


def open_request_for(session: Session, user_id: str, waba_id: str) -> AccessRequest | None:
    return session.scalar(select(AccessRequest).where(AccessRequest.open_key == _open_key(user_id, waba_id)))


def add_request(
    session: Session,
    *,
    token: str,
    user_id: str,
    waba_id: str,
    duration: str,
    reason: str,
    attempt_id: int | None,
    now: datetime,
) -> AccessRequest | None:
    """A new open request; None when one is open already for that person and WABA (even one made a moment ago
    by another process: the unique `open_key` decides, not a check before the insert)."""
    request = AccessRequest(
        token=token,
        user_id=user_id,
        waba_id=waba_id,
        duration=duration,
        reason=reason,
        created_at=now,
        status=OPEN,
        open_key=_open_key(user_id, waba_id),
        attempt_id=attempt_id,
    )
    try:
        with session.begin_nested():
            session.add(request)
    except IntegrityError:
        return None
    return request


def close(
    session: Session, request_id: int, status: str, *, by: str | None, now: datetime, grant_expires_at: datetime | None
) -> bool:
    """Decide an open request (or mark it lapsed); False when it was no longer open: the first decision wins."""
    result = session.execute(
        update(AccessRequest)
        .where(AccessRequest.id == request_id, AccessRequest.status == OPEN)
        .values(status=status, open_key=None, decided_by=by, decided_at=now, grant_expires_at=grant_expires_at)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def record_message(session: Session, request_id: int, channel_id: str, ts: str) -> None:
    session.add(AccessRequestMessage(request_id=request_id, channel_id=channel_id, ts=ts))


def messages(session: Session, request_id: int) -> list[tuple[str, str]]:
    """Where the request was posted: (channel, ts) of each copy."""
    rows = session.scalars(
        select(AccessRequestMessage)
        .where(AccessRequestMessage.request_id == request_id)
        .order_by(AccessRequestMessage.id)
    )
    return [(m.channel_id, m.ts) for m in rows]
