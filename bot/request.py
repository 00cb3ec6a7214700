"""The four fields a resend needs, as typed and as checked.

Their names double as the modal's block ids, so an error lands on the right field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.kaleyra import Verification
from bot.phone import InvalidPhoneNumber, normalise_phone

# ASCII digits only: `\d` also matches fullwidth and other scripts' digits; Kaleyra's ids are ASCII.
ID_DIGITS = re.compile(r"^[0-9]{1,32}\Z")

WABA_FIELD = "waba_id"
PHONE_NUMBER_ID_FIELD = "phone_number_id"
PHONE_NUMBER_FIELD = "phone_number"
VERIFICATION_FIELD = "type_verification"


@dataclass(frozen=True)
class ResendRequest:
    """The four fields as typed; the use case validates them."""

    waba_id: str
    phone_number_id: str
    phone_number: str
    verification: str = "SMS"


@dataclass(frozen=True)
class ValidRequest:
    waba_id: str
    phone_number_id: str
    phone_number: str
    verification: Verification


def validate(request: ResendRequest, phone_region: str | None = None) -> ValidRequest | dict[str, str]:
    """Check the fields' shapes; errors are keyed by field (the modal's block ids).

    `phone_region` (DEFAULT_PHONE_REGION) reads numbers typed without a country code.
    """
    errors: dict[str, str] = {}
    waba_id = request.waba_id.strip()
    phone_number_id = request.phone_number_id.strip()
    if not ID_DIGITS.match(waba_id):
        errors[WABA_FIELD] = "The WABA id is digits only, e.g. 766123456789012." if waba_id else "Choose a WABA."
    if not ID_DIGITS.match(phone_number_id):
        errors[PHONE_NUMBER_ID_FIELD] = (
            "The phone number id is the digits Kaleyra returned when the number was added, e.g. 678997654321098."
        )
    phone_number = ""
    try:
        phone_number = normalise_phone(request.phone_number, phone_region)
    except InvalidPhoneNumber as exc:
        errors[PHONE_NUMBER_FIELD] = str(exc)
    verification = (request.verification or "SMS").strip().upper()
    if verification not in Verification.__members__:
        errors[VERIFICATION_FIELD] = "Choose SMS or VOICE."
    if errors:
        return errors
    return ValidRequest(waba_id, phone_number_id, phone_number, Verification(verification))
