"""When the bot cannot post in the channel the outcome still reaches the person, and where is recorded."""

from __future__ import annotations

import json

import pytest

from tests import slack_requests
from tests.fakes.kaleyra import unused_port
from tests.fakes.slack import FakeSlack
from tests.slack.conftest import SlackBot, attempts, open_modal
from tests.support import ALICE, PHONE_NUMBER_ID, PHONE_PASTED, WABA

INLINE = f"{WABA} {PHONE_NUMBER_ID} {PHONE_PASTED}"


def unreachable_response_url() -> str:
    return f"http://127.0.0.1:{unused_port()}/commands/T1/1/gone"


def delivery_recorded(bot: SlackBot) -> str | None:
    bot.settle()
    (attempt,) = attempts(bot)
    assert attempt.status == "sent"
    return attempt.delivery


@pytest.mark.parametrize("error", ["not_in_channel", "channel_not_found"])
def test_outcome_goes_to_the_response_url_when_the_channel_refuses(bot: SlackBot, error: str) -> None:
    bot.slack.fail("chat.postMessage", error)
    bot.send(slack_requests.slash_command(INLINE, user_id=ALICE, response_url=bot.slack.response_url()))
    (told,) = bot.slack.wait_for("response_url")
    assert "WA200" in told.params["text"]
    assert told.params["response_type"] == "ephemeral"
    assert delivery_recorded(bot) == "response_url"
    assert bot.slack.calls_to("chat.postEphemeral") == []


def test_outcome_from_the_modal_goes_to_the_commands_response_url(bot: SlackBot) -> None:
    # A view_submission has no response_url: the one from the command that opened the modal is used.
    view = open_modal(bot, ALICE, response_url=bot.slack.response_url("opened-from"))
    bot.slack.fail("chat.postMessage", "not_in_channel")
    values = slack_requests.state_values(WABA, PHONE_NUMBER_ID, PHONE_PASTED, "SMS")
    bot.send(slack_requests.view_submission(view, user_id=ALICE, values=values))
    (told,) = bot.slack.wait_for("response_url")
    assert told.path.endswith("/opened-from") and "WA200" in told.params["text"]
    assert delivery_recorded(bot) == "response_url"


def test_outcome_is_an_ephemeral_message_when_the_response_url_fails_too(bot: SlackBot) -> None:
    bot.slack.fail("chat.postMessage", "channel_not_found")
    bot.send(
        slack_requests.slash_command(
            INLINE, user_id=ALICE, channel_id="C0PRIV", response_url=unreachable_response_url()
        )
    )
    (told,) = bot.slack.wait_for("chat.postEphemeral")
    assert (told.params["channel"], told.params["user"]) == ("C0PRIV", ALICE)
    assert "WA200" in told.params["text"]
    assert delivery_recorded(bot) == "ephemeral"


def test_outcome_is_a_direct_message_when_everything_else_fails(bot: SlackBot) -> None:
    bot.slack.fail("chat.postMessage", "not_in_channel")
    bot.slack.fail("chat.postEphemeral", "channel_not_found")
    bot.send(slack_requests.slash_command(INLINE, user_id=ALICE, response_url=unreachable_response_url()))
    (opened,) = bot.slack.wait_for("conversations.open")
    assert opened.params["users"] == ALICE
    dm = bot.slack.wait_for("chat.postMessage", where=lambda c: c.params.get("channel") == f"D{ALICE}")[0]
    assert "WA200" in dm.params["text"]
    assert delivery_recorded(bot) == "dm"


def test_an_outcome_that_reaches_nobody_is_recorded_as_failed(bot: SlackBot) -> None:
    bot.slack.fail("chat.postMessage", "not_in_channel")
    bot.slack.fail("chat.postEphemeral", "channel_not_found")
    bot.slack.fail("conversations.open", "user_not_found")
    bot.send(slack_requests.slash_command(INLINE, user_id=ALICE, response_url=unreachable_response_url()))
    bot.slack.wait_for("conversations.open")
    assert delivery_recorded(bot) == "failed"


def test_a_rate_limited_post_is_retried_after_retry_after_and_lands_in_the_thread(bot: SlackBot) -> None:
    bot.slack.rate_limit("chat.postMessage", retry_after=1)
    bot.send(slack_requests.slash_command(INLINE, user_id=ALICE))
    limited, parent, reply = bot.slack.wait_for("chat.postMessage", 3)
    assert limited.status == 429 and parent.status == reply.status == 200
    assert parent.received_at - limited.received_at >= 1.0
    assert parent.params["text"] == limited.params["text"]
    assert "thread_ts" not in parent.params and "WA200" in reply.params["text"]
    assert delivery_recorded(bot) == "channel"
    assert bot.slack.calls_to("chat.postEphemeral") == [] and bot.slack.calls_to("response_url") == []


def test_a_forged_response_url_in_the_form_gets_no_post(bot: SlackBot) -> None:
    # private_metadata travels through the client: one pointing the outcome elsewhere is ignored.
    bot.send(slack_requests.slash_command("", user_id=ALICE, channel_id="D0ALICE"))
    (opened,) = bot.slack.wait_for("views.open")
    view = dict(opened.params["view"])
    with FakeSlack() as attacker:  # a server that would take the post, on another port
        view["private_metadata"] = json.dumps({"s": "command", "r": attacker.response_url("collect")})
        values = slack_requests.state_values(WABA, PHONE_NUMBER_ID, PHONE_PASTED, "SMS")
        assert bot.send(slack_requests.view_submission(view, user_id=ALICE, values=values)).status_code == 200
        bot.settle()
        assert attacker.calls == []
    # The outcome still reaches Alice, by DM.
    (dm,) = [c for c in bot.slack.calls_to("chat.postMessage") if c.params.get("channel", "").startswith("D")]
    assert "OTP sent" in dm.params["text"]


def test_a_waba_name_typed_with_at_here_never_notifies_the_channel(bot: SlackBot) -> None:
    bot.runtime.service.add_waba("test", WABA, "Acme @here Retail")
    bot.send(slack_requests.slash_command(f"{WABA} {PHONE_NUMBER_ID} {PHONE_PASTED}", user_id=ALICE))
    bot.settle()
    posted = [json.dumps(c.params, ensure_ascii=False) for c in bot.slack.calls_to("chat.postMessage")]
    assert posted and all("Acme @\u2060here Retail" in p for p in posted)
    assert not [p for p in posted if "@here" in p]
