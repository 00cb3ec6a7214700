"""Requests Slack did not sign, or signed long ago, are refused with 401 and change nothing."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from tests import slack_requests
from tests.slack.conftest import SlackBot, attempts, open_modal
from tests.support import ALICE, PHONE_NUMBER_ID, PHONE_PASTED, WABA

Signed = tuple[str, dict[str, str]]
TEN_MINUTES = 600


def unsigned(build: Callable[..., Signed]) -> Signed:
    body, headers = build()
    return body, {"Content-Type": headers["Content-Type"]}


def timestamp_without_signature(build: Callable[..., Signed]) -> Signed:
    body, headers = build()
    return body, {k: v for k, v in headers.items() if k != "X-Slack-Signature"}


def wrong_secret(build: Callable[..., Signed]) -> Signed:
    return build(secret="not-the-signing-secret")


def body_changed_after_signing(build: Callable[..., Signed]) -> Signed:
    body, headers = build()
    assert ALICE in body
    # Another user claiming Alice's signed request; the bytes differ, the signature does not.
    return body.replace(ALICE, "U0EVE"), headers


def ten_minutes_old(build: Callable[..., Signed]) -> Signed:
    return build(timestamp=int(time.time()) - TEN_MINUTES)


def ten_minutes_ahead(build: Callable[..., Signed]) -> Signed:
    return build(timestamp=int(time.time()) + TEN_MINUTES)


FORGERIES = [
    unsigned,
    timestamp_without_signature,
    wrong_secret,
    body_changed_after_signing,
    ten_minutes_old,
    ten_minutes_ahead,
]


def inline_command(bot: SlackBot) -> Callable[..., Signed]:
    return lambda **sig: slack_requests.slash_command(f"{WABA} {PHONE_NUMBER_ID} {PHONE_PASTED}", user_id=ALICE, **sig)


def modal_command(bot: SlackBot) -> Callable[..., Signed]:
    return lambda **sig: slack_requests.slash_command("", user_id=ALICE, **sig)


def modal_submission(bot: SlackBot) -> Callable[..., Signed]:
    view = open_modal(bot, ALICE)
    values = slack_requests.state_values(WABA, PHONE_NUMBER_ID, PHONE_PASTED, "SMS")
    return lambda **sig: slack_requests.view_submission(view, user_id=ALICE, values=values, **sig)


def home_opened(bot: SlackBot) -> Callable[..., Signed]:
    event = {"type": "app_home_opened", "user": ALICE, "channel": "D0ALICE", "tab": "home", "event_ts": "1.2"}
    return lambda **sig: slack_requests.event(event, **sig)


@pytest.mark.parametrize("request_kind", [inline_command, modal_command, modal_submission, home_opened])
def test_forged_and_stale_requests_get_401_and_do_nothing(
    bot: SlackBot, request_kind: Callable[[SlackBot], Callable[..., Signed]]
) -> None:
    build = request_kind(bot)
    bot.settle()
    slack_calls_before = len(bot.slack.calls)

    for forge in FORGERIES:
        response = bot.send(forge(build))
        assert response.status_code == 401, forge.__name__

    bot.settle()
    assert len(bot.slack.calls) == slack_calls_before
    assert bot.kaleyra.requests == [] and attempts(bot) == []

    # The genuine request is accepted and acted on: the refusals above were the signatures'.
    assert bot.send(build()).status_code == 200
    bot.settle()
    assert len(bot.slack.calls) > slack_calls_before
