"""`/resend-otp`: help, history, the modal it opens, inline runs and the text it cannot read."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests import slack_requests
from tests.slack.conftest import SlackBot, attempts, open_modal, waba_options
from tests.support import (
    ALICE,
    BOB,
    MALLORY,
    OTHER_WABA,
    PHONE,
    PHONE_MASKED,
    PHONE_NUMBER_ID,
    WABA,
)

OPEN_FORM = "open_resend_modal"


def button_actions(blocks: list[dict[str, Any]]) -> list[str]:
    return [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]


def block_text(blocks: list[dict[str, Any]]) -> str:
    """Everything a person reads in the blocks, as one string."""
    parts: list[str] = []
    for block in blocks:
        if "text" in block:
            parts.append(block["text"]["text"])
        parts += [e["text"] for e in block.get("elements", []) if isinstance(e.get("text"), str)]
    return "\n".join(parts)


def test_help_explains_usage_in_the_ack(bot: SlackBot) -> None:
    response = bot.send(slack_requests.slash_command("help", user_id=ALICE))
    assert response.status_code == 200
    body = response.json()
    text = block_text(body["blocks"])
    assert "/resend-otp WABA_ID PHONE_NUMBER_ID" in text and "history" in text
    assert OPEN_FORM in button_actions(body["blocks"])
    bot.settle()
    assert bot.slack.calls_to("views.open") == [] and bot.kaleyra.requests == []


def test_modal_offers_alice_only_her_granted_waba(bot: SlackBot) -> None:
    view = open_modal(bot, ALICE)
    assert waba_options(view) == [WABA]
    block_ids = [b.get("block_id") for b in view["blocks"] if b["type"] == "input"]
    assert block_ids == ["waba_id", "phone_number_id", "phone_number", "type_verification"]


def test_modal_offers_bob_every_waba_through_his_user_group(bot: SlackBot) -> None:
    view = open_modal(bot, BOB)
    assert sorted(waba_options(view)) == sorted([WABA, OTHER_WABA])
    lookups = bot.slack.calls_to("usergroups.users.list")
    assert [c.params["usergroup"] for c in lookups] == ["S0ONCALL"]


def test_user_without_grants_is_told_who_to_ask_and_no_modal_opens(start_bot: Callable[..., SlackBot]) -> None:
    bot = start_bot(ADMIN_USER_IDS="U0ADMIN")
    response_url = bot.slack.response_url("mallory")
    response = bot.send(slack_requests.slash_command("", user_id=MALLORY, response_url=response_url))
    assert response.status_code == 200
    (told,) = bot.slack.wait_for("response_url")
    assert "no WhatsApp Business Accounts" in told.params["text"]
    assert "<@U0ADMIN>" in told.params["text"]
    bot.settle()
    assert bot.slack.calls_to("views.open") == []


def test_inline_run_sends_voice_to_kaleyra_and_threads_the_outcome(bot: SlackBot) -> None:
    response = bot.send(slack_requests.slash_command(f"{WABA} {PHONE_NUMBER_ID} 0091 98765 43210 VOICE", user_id=ALICE))
    assert response.status_code == 200 and not response.content
    parent, reply = bot.slack.wait_for("chat.postMessage", 2)
    (sent,) = bot.kaleyra.requests
    assert sent.json == {"id": PHONE_NUMBER_ID, "phone_number": PHONE, "type_verification": "VOICE"}
    assert "via VOICE" in parent.params["text"] and "<@U0ALICE>" in parent.params["text"]
    assert PHONE not in parent.params["text"] + reply.params["text"]
    (update,) = bot.slack.wait_for("chat.update")
    assert reply.params["thread_ts"] == update.params["ts"]
    bot.settle()
    (attempt,) = attempts(bot)
    assert (attempt.status, attempt.code, attempt.delivery) == ("sent", "WA200", "channel")


def test_inline_run_for_a_waba_not_granted_is_refused_privately(bot: SlackBot) -> None:
    response_url = bot.slack.response_url("alice")
    bot.send(
        slack_requests.slash_command(
            f"{OTHER_WABA} {PHONE_NUMBER_ID} {PHONE}", user_id=ALICE, response_url=response_url
        )
    )
    (told,) = bot.slack.wait_for("response_url")
    assert "not allowed" in told.params["text"]
    # The WABA as Alice typed it, never what the bot knows of it.
    assert OTHER_WABA in block_text(told.params["blocks"]) and "Beta Foods" not in block_text(told.params["blocks"])
    bot.settle()
    assert bot.kaleyra.requests == []
    assert bot.slack.calls_to("chat.postMessage") == []
    assert [a.status for a in attempts(bot)] == ["refused_not_allowed"]


def test_missing_parts_are_named_with_usage_and_the_form_button(bot: SlackBot) -> None:
    for text, missing in (
        (WABA, "Missing the phone number id and the phone number"),
        (f"{WABA} {PHONE_NUMBER_ID}", "Missing the phone number (with its country code)"),
    ):
        response = bot.send(slack_requests.slash_command(text, user_id=ALICE))
        assert response.status_code == 200
        body = response.json()
        assert missing in body["text"]
        assert "/resend-otp WABA_ID PHONE_NUMBER_ID +91 98765 43210 [sms|voice]" in body["text"]
        assert OPEN_FORM in button_actions(body["blocks"])
    bot.settle()
    assert bot.kaleyra.requests == [] and attempts(bot) == []


def test_bad_parts_are_named_with_how_to_write_them_and_the_form_button(bot: SlackBot) -> None:
    response_url = bot.slack.response_url("alice")
    bot.send(slack_requests.slash_command(f"{WABA} 67899-x +91 98765", user_id=ALICE, response_url=response_url))
    (told,) = bot.slack.wait_for("response_url")
    text = block_text(told.params["blocks"])
    assert "phone number id is the digits" in text and "e.g. 678997654321098" in text
    assert "+91" in text and "not a valid number" in text
    assert OPEN_FORM in button_actions(told.params["blocks"])
    bot.settle()
    assert bot.kaleyra.requests == []
    assert [a.status for a in attempts(bot)] == ["refused_invalid"]


def test_history_lists_the_callers_attempts_masked_and_hides_them_from_others(bot: SlackBot) -> None:
    bot.send(slack_requests.slash_command(f"{WABA} {PHONE_NUMBER_ID} {PHONE}", user_id=ALICE))
    bot.slack.wait_for("chat.update")
    bot.settle()

    bot.send(slack_requests.slash_command("history", user_id=ALICE, response_url=bot.slack.response_url("alice")))
    (mine,) = bot.slack.wait_for("response_url")
    assert mine.params["response_type"] == "ephemeral"
    listing = block_text(mine.params["blocks"])
    assert PHONE_MASKED in listing and "Acme Retail" in listing and "WA200" in listing
    assert PHONE not in listing

    bot.send(
        slack_requests.slash_command(
            "history +44 20 7946 0958", user_id=ALICE, response_url=bot.slack.response_url("filtered")
        )
    )
    (filtered,) = bot.slack.wait_for("response_url", where=lambda c: c.path.endswith("/filtered"))
    assert filtered.params["text"] == "No attempts you can see for that."

    bot.send(slack_requests.slash_command("history", user_id=MALLORY, response_url=bot.slack.response_url("mallory")))
    (theirs,) = bot.slack.wait_for("response_url", where=lambda c: c.path.endswith("/mallory"))
    assert theirs.params["text"] == "No attempts you can see yet."
