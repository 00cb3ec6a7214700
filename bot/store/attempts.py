"""The audit of resend attempts: written before Kaleyra is called, completed after."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from bot.status import Status
from bot.store import limits
from bot.store.models import Attempt, utcnow


@dataclass(frozen=True)
class AttemptFilter:
    """What `history` and `audit` narrow to; None means no narrowing."""

    user_ids: frozenset[str] | None = None
    waba_ids: frozenset[str] | None = None
    phone_number: str | None = None
    waba_id: str | None = None
    since: datetime | None = None


def start_attempt(session: Session, **fields: object) -> Attempt:
    attempt = Attempt(status=Status.PENDING, **fields)
    session.add(attempt)
    session.flush()
    return attempt


def record_refusal(session: Session, status: Status, message: str, **fields: object) -> Attempt:
    """Audit a refusal: a row of its own, or beyond the person's burst one more on their last of its kind."""
    now = utcnow()
    folded = limits.refusal_to_fold_into(session, str(fields["user_id"]), status, now)
    if folded is not None:
        folded.repeats += 1
        folded.completed_at = now
        session.flush()
        return folded
    attempt = Attempt(status=status, message=message, created_at=now, completed_at=now, **fields)
    session.add(attempt)
    session.flush()
    return attempt


def complete_attempt(session: Session, attempt_id: int, **fields: object) -> None:
    session.execute(update(Attempt).where(Attempt.id == attempt_id).values(completed_at=utcnow(), **fields))


def record_delivery(session: Session, attempt_id: int, delivery: str, thread_ts: str | None = None) -> None:
    """Where the outcome reached the person, and the thread it started (for a command)."""
    values: dict[str, object] = {"delivery": delivery}
    if thread_ts is not None:
        values["thread_ts"] = thread_ts
    session.execute(update(Attempt).where(Attempt.id == attempt_id).values(**values))


def record_parent(session: Session, attempt_id: int, channel_id: str, ts: str) -> None:
    """The "sending…" message a command's outcome will be threaded under, to fix up if the bot dies first."""
    session.execute(update(Attempt).where(Attempt.id == attempt_id).values(parent_channel_id=channel_id, parent_ts=ts))


def interrupted_parents(session: Session, limit: int = 50) -> list[Attempt]:
    """Attempts a crash left `unknown` whose parent message still says "sending…" (no outcome went out)."""
    query = (
        select(Attempt)
        .where(Attempt.status == Status.UNKNOWN, Attempt.parent_ts.is_not(None), Attempt.delivery.is_(None))
        .order_by(Attempt.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def recent_attempts(session: Session, narrow: AttemptFilter, limit: int = 20) -> list[Attempt]:
    query = select(Attempt).order_by(Attempt.created_at.desc(), Attempt.id.desc()).limit(limit)
    if narrow.user_ids is not None or narrow.waba_ids is not None:
        visible = []
        if narrow.user_ids is not None:
            visible.append(Attempt.user_id.in_(narrow.user_ids))
        if narrow.waba_ids is not None:
            visible.append(Attempt.waba_id.in_(narrow.waba_ids))
        query = query.where(or_(*visible))
    if narrow.phone_number is not None:
        query = query.where(Attempt.phone_number == narrow.phone_number)
    if narrow.waba_id is not None:
        query = query.where(Attempt.waba_id == narrow.waba_id)
    if narrow.since is not None:
        query = query.where(Attempt.created_at >= narrow.since)
    return list(session.scalars(query))


def mark_stale_pending(session: Session, older_than: timedelta, now: datetime | None = None) -> int:
    """Attempts left `pending` by a process that died mid-call: their outcome is unknown."""
    cutoff = (now or utcnow()) - older_than
    result = session.execute(
        update(Attempt)
        .where(Attempt.status == Status.PENDING, Attempt.created_at < cutoff)
        .values(
            status=Status.UNKNOWN,
            completed_at=now or utcnow(),
            message="The bot stopped during the Kaleyra call; an OTP may or may not have been sent.",
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
