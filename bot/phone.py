"""Phone numbers as people paste them: parse, normalise to E.164, mask."""

from __future__ import annotations

import functools
import re

import phonenumbers

# What people put between digits when they paste a number: spaces (including
# the no-break kinds Slack and spreadsheets produce), dashes, dots, brackets.
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015.()/\u00a0\u202f]")
_MASK = "\u2022"


class InvalidPhoneNumber(ValueError):
    """A number that cannot be a real phone number; the message says why."""


def normalise_phone(text: str, region: str | None = None, *, with_country_code: bool = False) -> str:
    """Return the E.164 form (``+919876543210``) of a pasted number.

    A number written without ``+`` or ``00`` is read in `region` (DEFAULT_PHONE_REGION) and refused
    without one: guessing would turn 98765 43210 into an Iranian number. `with_country_code` is for
    machine-written text (alerts) whose bare digits start with the country code.
    """
    compact = _SEPARATORS.sub("", text.strip())
    if not compact:
        raise InvalidPhoneNumber("Enter the number with its country code, e.g. +91 98765 43210.")
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    digits = compact.removeprefix("+")
    if not digits.isdigit() or not digits.isascii():
        raise InvalidPhoneNumber("A phone number has only digits after the +, e.g. +91 98765 43210.")
    if not compact.startswith("+") and with_country_code:
        compact = "+" + compact
    if not compact.startswith("+") and region is None:
        raise InvalidPhoneNumber("Add the country code: write the number with + or 00, e.g. +91 98765 43210.")
    try:
        parsed = phonenumbers.parse(compact, None if compact.startswith("+") else region)
    except phonenumbers.NumberParseException:
        raise InvalidPhoneNumber("That is not a phone number with a country code, e.g. +91 98765 43210.") from None
    if not phonenumbers.is_valid_number(parsed):
        shown = mask_phone(compact) if compact.startswith("+") else mask_tail(compact)
        raise InvalidPhoneNumber(f"{shown} is not a valid number; check the country code and digits.")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def mask_tail(text: str) -> str:
    """All but the last 4 characters hidden: for what may be a number typed in the wrong field."""
    return text if len(text) <= 4 else _MASK * (len(text) - 4) + text[-4:]


# One resend masks its number for the log, the metrics, the announcement and the outcome: parsing
# it each time was ~5% of a resend's CPU.
@functools.lru_cache(maxsize=1024)
def mask_phone(e164: str) -> str:
    """Show the country code and the last 4 digits only: ``+91••••••3210``."""
    digits = e164.lstrip("+")
    try:
        country_code = str(phonenumbers.parse("+" + digits, None).country_code)
    except phonenumbers.NumberParseException:
        country_code = digits[:2]
    rest = digits[len(country_code) :]
    if len(rest) <= 4:
        return "+" + country_code + _MASK * len(rest)
    return "+" + country_code + _MASK * (len(rest) - 4) + rest[-4:]
