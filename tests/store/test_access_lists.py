"""Grants and admins as listed and changed: ends kept, one revoke touching one grant, stable orders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.store import access, wabas
from tests.support import ALICE, MALLORY, WABA

NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
HOUR = timedelta(hours=1)
FIRST, SECOND = "766000000001", "766000000002"


def aware(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def test_moving_an_end_keeps_the_new_one_and_who_moved_it_when(seeded: sessionmaker[Session]) -> None:
    with seeded.begin() as session:
        access.set_grant(session, MALLORY, WABA, by="U0ANN", expires_at=NOW + HOUR, now=NOW)
        access.set_grant(session, MALLORY, WABA, by="U0BEN", expires_at=NOW + 3 * HOUR, now=NOW + HOUR / 2)
    with seeded() as session:
        (grant,) = access.list_grants(session, MALLORY)
        granted = (grant.granted_by, aware(grant.created_at), aware(grant.expires_at))
        assert granted == ("U0BEN", NOW + HOUR / 2, NOW + 3 * HOUR)
        assert access.may_use(session, {MALLORY}, WABA, NOW + 2 * HOUR)
        assert not access.may_use(session, {MALLORY}, WABA, NOW + 3 * HOUR)


def test_revoking_one_persons_grant_leaves_everyone_elses_on_that_waba(seeded: sessionmaker[Session]) -> None:
    with seeded.begin() as session:
        access.add_grant(session, MALLORY, WABA, by="a")
        assert access.remove_grant(session, MALLORY, WABA)
    with seeded() as session:
        assert access.may_use(session, {ALICE}, WABA, NOW)
        assert not access.may_use(session, {MALLORY}, WABA, NOW)


def test_grants_list_by_person_and_a_persons_grants_by_waba(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        for principal, waba_id in (("U0ZZZ", FIRST), ("U0AAA", SECOND), ("U0AAA", FIRST)):
            access.set_grant(session, principal, waba_id, by="a", expires_at=None, now=NOW)
        # A grant records when it was made.
        assert {g.created_at and aware(g.created_at) for g in access.list_grants(session)} == {NOW}
    with sessions() as session:
        listed = [(g.principal, g.waba_id) for g in access.list_grants(session)]
        live = [(g.principal, g.waba_id) for g in access.live_grants(session, {"U0AAA", "U0ZZZ"}, NOW)]
    assert listed == [("U0AAA", FIRST), ("U0AAA", SECOND), ("U0ZZZ", FIRST)]
    assert live == [("U0AAA", FIRST), ("U0ZZZ", FIRST), ("U0AAA", SECOND)]


def test_the_wabas_a_person_may_use_come_by_name_then_id(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        for waba_id, name in (("766000000009", "Same"), ("766000000000", "Zeta"), ("766000000008", "Same")):
            wabas.add_waba(session, waba_id, name)
        access.add_grant(session, ALICE, "*", by="a")
    with sessions() as session:
        shown = [(w.name, w.id) for w in access.allowed_wabas(session, {ALICE}, NOW)]
    assert shown == [("Same", "766000000008"), ("Same", "766000000009"), ("Zeta", "766000000000")]


def test_admins_from_the_setting_come_first_then_the_stores_once_each(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        for user_id in ("U0CAROL", "U0ANN"):
            access.add_admin(session, user_id, by="a")
    with sessions() as session:
        assert access.admin_ids(session, {"U0BEN", "U0ANN"}) == ["U0ANN", "U0BEN", "U0CAROL"]
        assert access.is_admin(session, "U0CAROL")
        assert not access.is_admin(session, "U0BEN")  # a setting, not a stored admin
