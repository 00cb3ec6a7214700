"""`/resend-otp watch #channel`, `unwatch #channel`, `watching`: admins only, audited like the CLI."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.slack.conftest import SlackBot
from tests.slack.test_admin_commands import LEAD, audited, command
from tests.support import ALICE

ALERTS = "C0ALERTS"
# As Slack sends a channel mention in a command's text when the command escapes it.
ALERTS_MENTION = f"<#{ALERTS}|alerts>"


@pytest.fixture
def admin_bot(start_bot: Callable[..., SlackBot]) -> SlackBot:
    return start_bot(ADMIN_USER_IDS=LEAD)


def test_an_admin_watches_lists_and_unwatches_a_channel_by_mention(admin_bot: SlackBot) -> None:
    assert "No watched channels yet" in command(admin_bot, LEAD, "watching")

    said = command(admin_bot, LEAD, f"watch {ALERTS_MENTION}")
    assert f"Watching channel {ALERTS}" in said and "invite the bot" in said
    assert admin_bot.runtime.service.alerts.is_watched(ALERTS)
    assert f"<#{ALERTS}> (added by slack:{LEAD})" in command(admin_bot, LEAD, "watching")

    assert f"No longer watching channel {ALERTS}" in command(admin_bot, LEAD, f"unwatch {ALERTS_MENTION}")
    assert not admin_bot.runtime.service.alerts.is_watched(ALERTS)
    assert "is not watched" in command(admin_bot, LEAD, f"unwatch {ALERTS_MENTION}")
    assert audited(admin_bot) == [(f"slack:{LEAD}", "watch_add", ALERTS), (f"slack:{LEAD}", "watch_remove", ALERTS)]


def test_a_non_admins_watch_is_refused_and_changes_nothing(admin_bot: SlackBot) -> None:
    for text in (f"watch {ALERTS_MENTION}", "watching"):
        assert "Only the bot's admins" in command(admin_bot, ALICE, text)
    assert admin_bot.runtime.service.alerts.watched_channels() == []
    command(admin_bot, LEAD, f"watch {ALERTS_MENTION}")
    assert "Only the bot's admins" in command(admin_bot, ALICE, f"unwatch {ALERTS_MENTION}")
    assert [w.channel_id for w in admin_bot.runtime.service.alerts.watched_channels()] == [ALERTS]
    assert audited(admin_bot) == [(f"slack:{LEAD}", "watch_add", ALERTS)]


def test_a_watch_without_a_channel_says_how_to_write_it(admin_bot: SlackBot) -> None:
    said = command(admin_bot, LEAD, "watch")
    assert "/resend-otp watch #channel" in said
    assert admin_bot.runtime.service.alerts.watched_channels() == []
