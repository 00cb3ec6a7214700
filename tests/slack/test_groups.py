"""User-group membership: resolved through Slack, and never a slow Slack call once a group is known."""

from __future__ import annotations

import logging
import time

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.config import load_settings
from bot.network import NetworkLoop
from bot.service import Service
from bot.slack.client import SlackClient
from bot.slack.groups import UserGroups
from tests.fakes.slack import FakeSlack
from tests.support import BOB, MALLORY, ONCALL_GROUP


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_stale_group_answers_at_once_and_is_refreshed_behind(
    fake_slack: FakeSlack, seeded: sessionmaker[Session], network: NetworkLoop
) -> None:
    clock = Clock()
    service = Service(load_settings({"DATABASE_URL": "sqlite://"}, dotenv=False), seeded)
    groups = UserGroups(SlackClient(network, token="xoxb-t", base_url=fake_slack.api_url), service, ttl=60, clock=clock)
    assert groups.requester(BOB).group_ids == {ONCALL_GROUP}
    assert len(fake_slack.calls_to("usergroups.users.list")) == 1

    # Slack now answers slowly, and Mallory has joined the on-call group.
    fake_slack.usergroups[ONCALL_GROUP] = [BOB, MALLORY]
    fake_slack.hang("usergroups.users.list", 1.0)
    clock.now += 61
    started = time.monotonic()
    assert groups.requester(MALLORY).group_ids == frozenset()  # the last known members, at once
    assert time.monotonic() - started < 0.5

    fake_slack.wait_for("usergroups.users.list", 2, timeout=5)
    deadline = time.monotonic() + 5
    while not groups.requester(MALLORY).group_ids and time.monotonic() < deadline:
        time.sleep(0.05)
    assert groups.requester(MALLORY).group_ids == {ONCALL_GROUP}


def test_a_failed_lookup_is_logged_with_slacks_error_code(
    fake_slack: FakeSlack, seeded: sessionmaker[Session], caplog: pytest.LogCaptureFixture, network: NetworkLoop
) -> None:
    fake_slack.reject_token("xoxb-revoked")
    service = Service(load_settings({"DATABASE_URL": "sqlite://"}, dotenv=False), seeded)
    groups = UserGroups(SlackClient(network, token="xoxb-revoked", base_url=fake_slack.api_url), service)
    with caplog.at_level(logging.WARNING, logger="bot.slack.groups"):
        groups.requester(BOB)
    assert f"usergroups.users.list failed for {ONCALL_GROUP}: invalid_auth" in caplog.messages


def groups_on(fake_slack: FakeSlack, seeded: sessionmaker[Session], network: NetworkLoop, clock: Clock) -> UserGroups:
    service = Service(load_settings({"DATABASE_URL": "sqlite://"}, dotenv=False), seeded)
    return UserGroups(SlackClient(network, token="xoxb-t", base_url=fake_slack.api_url), service, ttl=60, clock=clock)


def test_a_deleted_group_has_no_members_from_slacks_next_answer(
    fake_slack: FakeSlack, seeded: sessionmaker[Session], network: NetworkLoop
) -> None:
    clock = Clock()
    groups = groups_on(fake_slack, seeded, network, clock)
    assert groups.requester(BOB).group_ids == {ONCALL_GROUP}

    fake_slack.fail("usergroups.users.list", "no_such_subteam", times=10)
    clock.now += 61  # the cache is stale: the next look refreshes it behind the answer
    groups.requester(BOB)
    fake_slack.wait_for("usergroups.users.list", 2, timeout=5)
    deadline = time.monotonic() + 5
    while groups.requester(BOB).group_ids and time.monotonic() < deadline:
        time.sleep(0.05)
    requester = groups.requester(BOB)
    assert requester.group_ids == frozenset() and requester.unconfirmed_group_ids == frozenset()


def test_members_slack_cannot_confirm_for_ten_minutes_no_longer_count(
    fake_slack: FakeSlack, seeded: sessionmaker[Session], network: NetworkLoop
) -> None:
    clock = Clock()
    groups = groups_on(fake_slack, seeded, network, clock)
    assert groups.requester(BOB).group_ids == {ONCALL_GROUP}

    fake_slack.fail("usergroups.users.list", "internal_error", times=100)
    clock.now += 9 * 60  # Slack failing for nine minutes: the last confirmed members still count
    assert groups.requester(BOB).group_ids == {ONCALL_GROUP}
    clock.now += 2 * 60
    requester = groups.requester(BOB)
    assert requester.group_ids == frozenset() and requester.unconfirmed_group_ids == {ONCALL_GROUP}
