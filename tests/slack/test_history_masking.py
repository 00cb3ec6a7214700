"""`/resend-otp history` and the channel show a short number masked whole, and list a refusal that
kept an unreadable number as it was typed."""

from __future__ import annotations

import json

from tests import slack_requests
from tests.slack.conftest import SlackBot
from tests.support import ALICE, PHONE_NUMBER_ID, WABA

SHORT_MASKED = "+683\u2022\u2022\u2022\u2022"


def history(bot: SlackBot, name: str) -> str:
    bot.send(slack_requests.slash_command("history", user_id=ALICE, response_url=bot.slack.response_url(name)))
    (listing,) = bot.slack.wait_for("response_url", where=lambda c: c.path.endswith(f"/{name}"))
    return json.dumps(listing.params, ensure_ascii=False)


def test_a_short_national_number_never_appears_in_the_channel_or_history(bot: SlackBot) -> None:
    bot.send(slack_requests.slash_command(f"{WABA} {PHONE_NUMBER_ID} +683 4002", user_id=ALICE))
    bot.slack.wait_for("chat.update")
    bot.settle()

    listing = history(bot, "short")

    assert SHORT_MASKED in listing and "WA200" in listing
    posted = [json.dumps(c.params, ensure_ascii=False) for c in bot.slack.calls_to("chat.postMessage")]
    assert posted and all(SHORT_MASKED in p for p in posted)
    assert not any("4002" in p for p in [listing, *posted])


def test_a_refusal_that_kept_an_unreadable_number_is_listed(bot: SlackBot) -> None:
    refused_url = bot.slack.response_url("refused")
    bot.send(slack_requests.slash_command(f"{WABA} {PHONE_NUMBER_ID} call me", user_id=ALICE, response_url=refused_url))
    bot.slack.wait_for("response_url", where=lambda c: c.path.endswith("/refused"))
    bot.settle()

    listing = history(bot, "listing")

    assert "refused: invalid" in listing and "Acme Retail" in listing
