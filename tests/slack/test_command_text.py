"""What people type after `/resend-otp`: each part named by what it looks like."""

from __future__ import annotations

import pytest

from bot.request import ResendRequest
from bot.slack.command_text import Inline, Malformed, parse_command
from tests.support import PHONE_NUMBER_ID, WABA


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (f"{WABA} +91 98765 43210", "Missing the phone number id"),
        (f"{WABA} 0091 98765 43210 voice", "Missing the phone number id"),
        ("+91 98765 43210", "Missing the WABA id and the phone number id"),
        ("bogus subcommand", "/resend-otp help"),
        ("grnat U0ALICE *", "/resend-otp help"),
        (WABA, "Missing the phone number id and the phone number"),
        (f"{WABA} {PHONE_NUMBER_ID}", "Missing the phone number (with its country code)"),
    ],
)
def test_the_missing_part_is_named_by_its_shape(text: str, says: str) -> None:
    parsed = parse_command(text)
    assert isinstance(parsed, Malformed)
    assert says in parsed.message
    assert "not a valid number" not in parsed.message


def test_a_complete_command_keeps_the_phone_as_typed() -> None:
    assert parse_command(f"{WABA} {PHONE_NUMBER_ID} +91 98765 43210 VOICE") == Inline(
        ResendRequest(WABA, PHONE_NUMBER_ID, "+91 98765 43210", "VOICE")
    )
