"""What `/resend-otp …` text asks for."""

from __future__ import annotations

import pytest

from bot.request import ResendRequest
from bot.slack.command_text import (
    AdminCommand,
    Help,
    History,
    Inline,
    Malformed,
    OpenModal,
    parse_command,
    principal_from,
)


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_no_text_opens_the_form(text: str) -> None:
    assert parse_command(text) == OpenModal()


@pytest.mark.parametrize("text", ["help", "HELP", "-h", "--help", "?"])
def test_help_in_its_spellings(text: str) -> None:
    assert parse_command(text) == Help()


def test_history_with_and_without_a_query() -> None:
    assert parse_command("history") == History(None)
    assert parse_command("history +91 98765 43210") == History("+91 98765 43210")


def test_admin_words_keep_their_arguments() -> None:
    assert parse_command("grant <@U0ALICE|alice> 766000000001") == AdminCommand(
        "grant", ("<@U0ALICE|alice>", "766000000001")
    )
    assert parse_command("waba list") == AdminCommand("waba", ("list",))


def test_an_inline_run_keeps_the_number_as_pasted_with_its_spaces() -> None:
    parsed = parse_command("766000000001 678997654321098 +91 98765 43210 voice")
    assert parsed == Inline(ResendRequest("766000000001", "678997654321098", "+91 98765 43210", "VOICE"))


def test_the_verification_type_defaults_to_sms() -> None:
    parsed = parse_command("766000000001 678997654321098 +919876543210")
    assert isinstance(parsed, Inline) and parsed.request.verification == "SMS"


def test_slack_escaped_text_is_read_as_typed() -> None:
    parsed = parse_command("766000000001 678997654321098 &lt;+91 98765 43210&gt;")
    assert isinstance(parsed, Inline) and parsed.request.phone_number == "<+91 98765 43210>"


def test_missing_parts_are_named_with_the_usage() -> None:
    (one, two) = parse_command("766000000001 678997654321098"), parse_command("766000000001")
    assert isinstance(one, Malformed) and "Missing the phone number" in one.message
    assert isinstance(two, Malformed) and "phone number id" in two.message
    assert "/resend-otp WABA_ID PHONE_NUMBER_ID" in one.message


@pytest.mark.parametrize(
    ("word", "principal"),
    [
        ("<@U0ALICE|alice>", "U0ALICE"),
        ("<@W0ALICE>", "W0ALICE"),
        ("<!subteam^S0ONCALL|@oncall>", "S0ONCALL"),
        ("U1", "U1"),
    ],
)
def test_mentions_become_ids(word: str, principal: str) -> None:
    assert principal_from(word) == principal
