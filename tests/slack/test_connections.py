"""Connections stay open: once the bot has talked to Kaleyra and Slack, a resend opens none."""

from __future__ import annotations

from tests import slack_requests
from tests.slack.conftest import SlackBot, open_modal
from tests.support import ALICE, PHONE_NUMBER_ID, WABA


def inline_resend(bot: SlackBot, phone: str) -> None:
    bot.send(slack_requests.slash_command(f"{WABA} {PHONE_NUMBER_ID} {phone}", user_id=ALICE))
    bot.settle()


def test_a_second_resend_reuses_the_connections_to_kaleyra_and_slack(bot: SlackBot) -> None:
    inline_resend(bot, "+91 98765 43210")
    kaleyra_after_first, slack_after_first = bot.kaleyra.connections, bot.slack.connections

    inline_resend(bot, "+91 98765 43211")

    assert len(bot.kaleyra.requests) == 2
    assert kaleyra_after_first == 1
    assert bot.kaleyra.connections == 1
    # The parent, the threaded outcome and the parent's update: three calls, no new connection.
    assert len(bot.slack.calls_to("chat.postMessage")) == 4
    assert bot.slack.connections == slack_after_first


def test_opening_the_form_opens_the_kaleyra_connection_before_the_submission(bot: SlackBot) -> None:
    open_modal(bot, ALICE)
    bot.settle()

    (warm_up,) = bot.kaleyra.wait_for_requests(1, warm_ups=True)
    assert warm_up.method == "HEAD" and "api-key" not in warm_up.headers
    assert bot.kaleyra.requests == [] and bot.kaleyra.connections == 1
