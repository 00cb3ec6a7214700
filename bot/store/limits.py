"""The per-person limit (at most N resends per rolling hour) and the bound on a person's audited refusals.

Both count rows under the person's lock: one `INSERT … ON CONFLICT DO UPDATE` on their row in
`person_locks`, which holds it until the transaction ends, so two processes counting for the
same person take turns and neither can slip a resend (or a refusal row) past the other.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.store.db import dialect_insert
from bot.store.models import Attempt, PersonLock

WINDOW = timedelta(hours=1)
# Refusals per person per WINDOW written one row each; later ones are counted on the person's last
# refusal of the same kind, so one person cannot flood the audit and no refusal goes uncounted.
REFUSAL_BURST = 20
REFUSED = "refused_%"


def lock_person(session: Session, user_id: str, now: datetime) -> None:
    """Hold this person's row until the transaction ends (others counting for them wait)."""
    insert = dialect_insert(session)
    row = insert(PersonLock).values(user_id=user_id, touched_at=now)
    session.execute(row.on_conflict_do_update(index_elements=[PersonLock.user_id], set_={"touched_at": now}))


def next_resend_at(session: Session, user_id: str, now: datetime, per_hour: int) -> datetime | None:
    """None when this person may resend now; else when the oldest of their last `per_hour` leaves the hour."""
    lock_person(session, user_id, now)
    recent = session.scalars(
        select(Attempt.created_at)
        .where(Attempt.user_id == user_id, Attempt.created_at > now - WINDOW, Attempt.status.not_like(REFUSED))
        .order_by(Attempt.created_at.desc())
        .limit(per_hour)
    ).all()
    return recent[-1] + WINDOW if len(recent) >= per_hour else None


def refusal_to_fold_into(session: Session, user_id: str, status: str, now: datetime) -> Attempt | None:
    """The row a new refusal is counted on once the person is past their burst; None: write a row."""
    lock_person(session, user_id, now)
    in_window = (Attempt.user_id == user_id, Attempt.created_at > now - WINDOW, Attempt.status.like(REFUSED))
    if (session.scalar(select(func.count()).where(*in_window)) or 0) < REFUSAL_BURST:
        return None
    latest = select(Attempt).where(*in_window, Attempt.status == status).order_by(Attempt.id.desc()).limit(1)
    return session.scalars(latest).first()
