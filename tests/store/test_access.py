"""Grants: by user, by user group, and `*` for every WABA."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.principals import is_principal
from bot.store import access, wabas
from tests.support import ALICE, BOB, MALLORY, ONCALL_GROUP, OTHER_WABA, OTHER_WABA_NAME, WABA, WABA_NAME

NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
HOUR = timedelta(hours=1)

# `seeded`: Alice has Acme Retail; the on-call group has every WABA.
CASES = [
    pytest.param(ALICE, set(), {WABA}, id="user grant"),
    pytest.param(BOB, {ONCALL_GROUP}, {WABA, OTHER_WABA}, id="group holds *"),
    pytest.param(ALICE, {ONCALL_GROUP}, {WABA, OTHER_WABA}, id="user and group"),
    pytest.param(MALLORY, set(), set(), id="no grant"),
    pytest.param(MALLORY, {"S0OTHERS"}, set(), id="ungranted group"),
]


@pytest.mark.parametrize(("user", "groups", "allowed"), CASES)
def test_who_may_use_which_waba(seeded: sessionmaker[Session], user: str, groups: set[str], allowed: set[str]) -> None:
    principals = {user, *groups}
    with seeded() as session:
        assert {w.id for w in access.allowed_wabas(session, principals, NOW)} == allowed
        for waba_id in (WABA, OTHER_WABA):
            assert access.may_use(session, principals, waba_id, NOW) is (waba_id in allowed)


def test_star_covers_wabas_added_later_and_a_revoke_takes_effect(seeded: sessionmaker[Session]) -> None:
    with seeded.begin() as session:
        access.add_grant(session, MALLORY, "*", by="test")
        wabas.add_waba(session, "766000000003", "Gamma Pharma")
    with seeded() as session:
        assert access.may_use(session, {MALLORY}, "766000000003", NOW)
        # Listed by name, for the modal's select.
        assert [w.name for w in access.allowed_wabas(session, {MALLORY}, NOW)] == [
            WABA_NAME,
            OTHER_WABA_NAME,
            "Gamma Pharma",
        ]
    with seeded.begin() as session:
        assert access.remove_grant(session, MALLORY, "*")
        assert not access.remove_grant(session, MALLORY, "*")
    with seeded() as session:
        assert not access.may_use(session, {MALLORY}, WABA, NOW)


def test_granting_twice_keeps_one_grant(seeded: sessionmaker[Session]) -> None:
    with seeded.begin() as session:
        assert not access.add_grant(session, ALICE, WABA, by="test")
        assert access.add_grant(session, ALICE, OTHER_WABA, by="test")
    with seeded() as session:
        listed = [(g.principal, g.waba_id) for g in access.list_grants(session, ALICE)]
        assert listed == [(ALICE, WABA), (ALICE, OTHER_WABA)]
        assert access.granted_group_ids(session, NOW) == {ONCALL_GROUP}


def test_a_grant_for_an_unknown_waba_lists_nothing(seeded: sessionmaker[Session]) -> None:
    with seeded.begin() as session:
        access.add_grant(session, MALLORY, "766999999999", by="test")
    with seeded() as session:
        assert access.allowed_wabas(session, {MALLORY}, NOW) == []


def test_a_grant_counts_until_its_end_and_not_from_it(seeded: sessionmaker[Session]) -> None:
    with seeded.begin() as session:
        access.add_grant(session, MALLORY, OTHER_WABA, by="test", expires_at=NOW + HOUR)
        access.add_grant(session, "S0NIGHT", WABA, by="test", expires_at=NOW + HOUR)
    with seeded() as session:
        for now, counts in ((NOW, True), (NOW + HOUR - timedelta(seconds=1), True), (NOW + HOUR, False)):
            assert access.may_use(session, {MALLORY}, OTHER_WABA, now) is counts
            assert (OTHER_WABA in {w.id for w in access.allowed_wabas(session, {MALLORY}, now)}) is counts
            assert access.may_use(session, {"S0NIGHT"}, WABA, now) is counts
            # An ended group grant is no reason to ask Slack who is in the group.
            assert ("S0NIGHT" in access.granted_group_ids(session, now)) is counts


def test_granting_again_sets_the_new_end_and_renews_an_ended_grant(seeded: sessionmaker[Session]) -> None:
    with seeded.begin() as session:
        change, before = access.set_grant(session, MALLORY, WABA, by="a", expires_at=NOW + HOUR, now=NOW)
        assert (change, before) == (access.GrantChange.ADDED, None)
    later = NOW + 2 * HOUR
    with seeded() as session:
        assert not access.may_use(session, {MALLORY}, WABA, later)
    with seeded.begin() as session:
        change, before = access.set_grant(session, MALLORY, WABA, by="b", expires_at=None, now=later)
        assert (change, before) == (access.GrantChange.CHANGED, NOW + HOUR)
        change, _ = access.set_grant(session, MALLORY, WABA, by="b", expires_at=None, now=later)
        assert change is access.GrantChange.UNCHANGED
    with seeded() as session:
        assert access.may_use(session, {MALLORY}, WABA, later + 1000 * HOUR)
        assert [g.expires_at for g in access.list_grants(session, MALLORY)] == [None]


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("U0ALICE", True),
        ("W0ENTERPRISE", True),
        ("S0ONCALL", True),
        ("alice", False),
        ("C0CHANNEL", False),
        ("", False),
    ],
)
def test_principals_are_slack_user_or_group_ids(value: str, ok: bool) -> None:
    assert is_principal(value) is ok
