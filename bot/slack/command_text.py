"""Reading what people type after `/resend-otp`."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from bot.request import ResendRequest

USAGE = "/resend-otp WABA_ID PHONE_NUMBER_ID +91 98765 43210 [sms|voice]"
_VIA = {"sms": "SMS", "voice": "VOICE"}
# Slack sends mentions escaped: <@U123|alice>, <!subteam^S123|@oncall>.
_USER_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
_GROUP_MENTION = re.compile(r"^<!subteam\^(S[A-Z0-9]+)(?:\|[^>]*)?>$")
_CHANNEL_MENTION = re.compile(r"^<#([CG][A-Z0-9]+)(?:\|[^>]*)?>$")


@dataclass(frozen=True)
class OpenModal:
    pass


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class History:
    query: str | None


@dataclass(frozen=True)
class AdminCommand:
    """`grant`, `revoke`, `grants`, `waba …`, `owner …`, `owners`, `watch`, `unwatch`, `watching`: admins only
    (and owners, for their WABA's grants)."""

    action: str
    args: tuple[str, ...]


@dataclass(frozen=True)
class Inline:
    request: ResendRequest


@dataclass(frozen=True)
class Malformed:
    message: str


Command = OpenModal | Help | History | AdminCommand | Inline | Malformed

_ADMIN_ACTIONS = {"grant", "revoke", "grants", "waba", "owner", "owners", "watch", "unwatch", "watching"}


def parse_command(text: str) -> Command:
    """Decide what a `/resend-otp …` asks for; bad text says which part and how to write it.

    Parts are told apart by what they look like, not only by position: a phone number starts with
    + or 00, ids are digits, and a first word that is neither a command nor an id is not a resend.
    """
    text = html.unescape(text or "").strip()
    words = text.split()
    if not words:
        return OpenModal()
    first = words[0].lower()
    if first in ("help", "-h", "--help", "?"):
        return Help()
    if first == "history":
        return History(" ".join(words[1:]) or None)
    if first in _ADMIN_ACTIONS:
        return AdminCommand(first, tuple(words[1:]))
    return _parse_inline(words)


def _looks_like_phone(word: str) -> bool:
    return word.startswith(("+", "00", "(+"))


def _parse_inline(words: list[str]) -> Inline | Malformed:
    via = "SMS"
    if len(words) > 1 and words[-1].lower() in _VIA:
        via = _VIA[words.pop().lower()]
    if _looks_like_phone(words[0]):
        return Malformed(f"Missing the WABA id and the phone number id before the phone number. Write: `{USAGE}`")
    if not words[0].isdigit():
        return Malformed(
            "That is not something `/resend-otp` knows. `/resend-otp help` lists what it does; "
            f"to resend, write: `{USAGE}`"
        )
    if len(words) == 1:
        return Malformed(f"Missing the phone number id and the phone number. Write: `{USAGE}`")
    if _looks_like_phone(words[1]):
        return Malformed(
            "Missing the phone number id (the digits Kaleyra returned when the number was added), "
            f"between the WABA id and the phone number. Write: `{USAGE}`"
        )
    if len(words) == 2:
        return Malformed(f"Missing the phone number (with its country code). Write: `{USAGE}`")
    return Inline(ResendRequest(words[0], words[1], " ".join(words[2:]), via))


def principal_from(word: str) -> str:
    """A user or group id from a Slack mention, or the word itself (an id typed by hand)."""
    for pattern in (_USER_MENTION, _GROUP_MENTION):
        match = pattern.match(word)
        if match:
            return match.group(1)
    return word


def channel_from(word: str) -> str:
    """A channel id from a channel mention (`<#C123|alerts>`), or the word itself (an id typed by hand)."""
    match = _CHANNEL_MENTION.match(word)
    return match.group(1) if match else word
