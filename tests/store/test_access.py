"""Grants: by user, by user group, and `*` for every WABA."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.principals import is_principal
from bot.store import access, wabas
from tests.support import ALICE, BOB, MALLORY, ONCALL_GROUP, OTHER_WABA, OTHER_WABA_NAME, WABA, WABA_NAME

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
        assert {w.id for w in access.allowed_wabas(session, principals)} == allowed
        for waba_id in (WABA, OTHER_WABA):
            assert access.may_use(session, principals, waba_id) is (waba_id in allowed)


def test_star_covers_wabas_added_later_and_a_revoke_takes_effect(seeded: sessionmaker[Session]) -> None:
    with seeded.begin() as session:
        access.add_grant(session, MALLORY, "*", by="test")
        wabas.add_waba(session, "766000000003", "Gamma Pharma")
    with seeded() as session:
        assert access.may_use(session, {MALLORY}, "766000000003")
        # Listed by name, for the modal's select.
        assert [w.name for w in access.allowed_wabas(session, {MALLORY})] == [
            WABA_NAME,
            OTHER_WABA_NAME,
            "Gamma Pharma",
        ]
    with seeded.begin() as session:
        assert access.remove_grant(session, MALLORY, "*")
        assert not access.remove_grant(session, MALLORY, "*")
    with seeded() as session:
        assert not access.may_use(session, {MALLORY}, WABA)


def test_granting_twice_keeps_one_grant(seeded: sessionmaker[Session]) -> None:
    with seeded.begin() as session:
        assert not access.add_grant(session, ALICE, WABA, by="test")
    with seeded() as session:
        assert [(g.principal, g.waba_id) for g in access.list_grants(session, ALICE)] == [(ALICE, WABA)]
        assert access.granted_group_ids(session) == {ONCALL_GROUP}


def test_a_grant_for_an_unknown_waba_lists_nothing(seeded: sessionmaker[Session]) -> None:
    with seeded.begin() as session:
        access.add_grant(session, MALLORY, "766999999999", by="test")
    with seeded() as session:
        assert access.allowed_wabas(session, {MALLORY}) == []


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
