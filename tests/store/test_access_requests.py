"""Access requests in the store, on SQLite and PostgreSQL: one open per (person, WABA), decided once."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.service import Service
from bot.store import access_requests, owners
from tests.support import MALLORY, WABA, FakeClock

NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
OWNER = "U0OWNER"


def add(session: Session, reason: str = "INC-1") -> access_requests.AccessRequest | None:
    return access_requests.add_request(
        session, token="t", user_id=MALLORY, waba_id=WABA, duration="1h", reason=reason, attempt_id=None, now=NOW
    )


def test_one_open_request_per_person_and_waba_and_a_second_close_changes_nothing(
    seeded: sessionmaker[Session],
) -> None:
    with seeded.begin() as session:
        first = add(session)
        assert first is not None
        # The unique key refuses a second one; the transaction goes on (a savepoint took the failure).
        assert add(session, "again") is None
        assert access_requests.open_request_for(session, MALLORY, WABA) is first
        request_id = first.id
    with seeded.begin() as session:
        assert access_requests.close(session, request_id, "approved", by=OWNER, now=NOW, grant_expires_at=None)
        assert not access_requests.close(session, request_id, "denied", by="U0LEAD", now=NOW, grant_expires_at=None)
    with seeded.begin() as session:
        assert access_requests.open_request_for(session, MALLORY, WABA) is None
        assert add(session, "a new one") is not None


def test_two_approvals_at_once_grant_once(seeded: sessionmaker[Session], settings: Callable[..., Settings]) -> None:
    service = Service(settings(), seeded, FakeClock(NOW))
    with seeded.begin() as session:
        owners.add_owner(session, WABA, OWNER, by="test")
    asked = service.requests.ask(MALLORY, frozenset({MALLORY}), WABA, "8h", "INC-7", "")
    assert asked.created

    def approve(_: int) -> str:
        return service.requests.decide(asked.request.button_value, OWNER, approve=True).outcome.value

    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(approve, range(4)))

    assert sorted(outcomes) == ["already_decided"] * 3 + ["approved"]
    (grant,) = service.own_grants({MALLORY})
    assert grant.expires_at == NOW + timedelta(hours=8)
    # A forged token decides nothing.
    forged = f"{asked.request.id}:wrong"
    assert service.requests.decide(forged, OWNER, approve=False).outcome.value == "not_found"
