"""Kaleyra's answers are not trusted: a code must look like one of its codes, and its text loses
the bot's secrets, control characters and excess length before anything posts, logs or stores it."""

from __future__ import annotations

import re
from dataclasses import replace

from bot.kaleyra import KaleyraOutcome
from bot.logs import redact
from bot.status import Status

# Kaleyra's codes are letters then three digits (WA200, RBC001); anything else is not one.
CODE = re.compile(r"[A-Z]{2,8}[0-9]{3}")
TEXT_LIMIT = 300
FIELD_NAME_LIMIT = 40
FIELD_LIMIT = 5
# Control and invisible formatting characters: a newline forges a log line, a bidi override
# makes a message read differently from what it says.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]+")


def clean_outcome(outcome: KaleyraOutcome, secrets: list[str]) -> KaleyraOutcome:
    """The outcome with a malformed code dropped (an unexpected response) and every text made safe."""
    kind, code = outcome.kind, outcome.code
    if code is not None and not CODE.fullmatch(code):
        kind, code = Status.UNEXPECTED_RESPONSE, None
    fields = list(outcome.field_errors.items())[:FIELD_LIMIT]
    return replace(
        outcome,
        kind=kind,
        code=code,
        message=clean_text(outcome.message, secrets, TEXT_LIMIT),
        field_errors={
            clean_text(name, secrets, FIELD_NAME_LIMIT): clean_text(error, secrets, TEXT_LIMIT)
            for name, error in fields
        },
    )


def clean_text(text: str, secrets: list[str], limit: int) -> str:
    """One line of at most `limit` characters, with no secret, control or invisible character."""
    # Redacted before anything else: cutting or joining lines first could leave part of a secret.
    text = " ".join(_UNSAFE.sub(" ", redact(text, secrets)).split())
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"
