"""The audit of attempts: pending until completed, and stale pending rows marked unknown."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.status import Status
from bot.store import attempts
from bot.store.models import Attempt
from tests.support import ALICE, BOB, PHONE, PHONE_NUMBER_ID, WABA, FakeClock

FIELDS = {
    "surface": "cli",
    "waba_id": WABA,
    "phone_number": PHONE,
    "phone_number_id": PHONE_NUMBER_ID,
    "verification": "SMS",
}


def test_mark_stale_pending_marks_only_old_pending_rows(sessions: sessionmaker[Session], clock: FakeClock) -> None:
    with sessions.begin() as session:
        stale = attempts.start_attempt(session, user_id=ALICE, created_at=clock.now, **FIELDS).id
        done = attempts.start_attempt(session, user_id=ALICE, created_at=clock.now, **FIELDS).id
        attempts.complete_attempt(session, done, status="sent", code="WA200")
        fresh = attempts.start_attempt(session, user_id=BOB, created_at=clock.now + timedelta(minutes=9), **FIELDS).id

    with sessions.begin() as session:
        marked = attempts.mark_stale_pending(session, timedelta(minutes=5), now=clock.now + timedelta(minutes=10))
    assert marked == 1

    with sessions() as session:
        rows = {a.id: a for a in session.query(Attempt)}
    assert rows[stale].status == Status.UNKNOWN
    assert "may or may not" in (rows[stale].message or "")
    assert rows[stale].completed_at is not None
    assert (rows[done].status, rows[done].code) == ("sent", "WA200")
    assert rows[fresh].status == Status.PENDING
    assert rows[fresh].completed_at is None


def test_recent_attempts_newest_first_and_narrowed(sessions: sessionmaker[Session], clock: FakeClock) -> None:
    with sessions.begin() as session:
        for minute, user in enumerate((ALICE, BOB, ALICE)):
            attempts.start_attempt(session, user_id=user, created_at=clock.now + timedelta(minutes=minute), **FIELDS)

    with sessions() as session:
        everything = attempts.recent_attempts(session, attempts.AttemptFilter())
        alices = attempts.recent_attempts(session, attempts.AttemptFilter(user_ids=frozenset({ALICE})), limit=1)
    assert [a.user_id for a in everything] == [ALICE, BOB, ALICE]
    assert everything[0].created_at > everything[1].created_at > everything[2].created_at
    assert [a.id for a in alices] == [everything[0].id]
