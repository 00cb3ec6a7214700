"""The four fields' validation: each error lands on its own field."""

from __future__ import annotations

import pytest

from bot.kaleyra import Verification
from bot.request import ResendRequest, ValidRequest, validate


def test_pasted_values_are_normalised() -> None:
    checked = validate(ResendRequest(" 766000000001 ", "678997654321098", "0091 98765-43210", "voice"))
    assert checked == ValidRequest("766000000001", "678997654321098", "+919876543210", Verification.VOICE)


@pytest.mark.parametrize(
    ("request_", "fields"),
    [
        (ResendRequest("", "1", "+919876543210"), {"waba_id"}),
        (ResendRequest("76600000000１", "1", "+919876543210"), {"waba_id"}),  # a fullwidth digit
        (ResendRequest("1", "12ab", "+919876543210"), {"phone_number_id"}),
        (ResendRequest("1", "1", "98765"), {"phone_number"}),
        (ResendRequest("1", "1", "+919876543210", "fax"), {"type_verification"}),
        (ResendRequest("x", "y", "z", "w"), {"waba_id", "phone_number_id", "phone_number", "type_verification"}),
    ],
)
def test_each_bad_field_is_named(request_: ResendRequest, fields: set[str]) -> None:
    checked = validate(request_)
    assert isinstance(checked, dict) and set(checked) == fields and all(checked.values())


def test_each_field_error_reads_exactly_as_people_see_it_in_the_form() -> None:
    checked = validate(ResendRequest("acme", "12ab", "+91 98765 43210", "fax"))
    assert checked == {
        "waba_id": "The WABA id is digits only, e.g. 766123456789012.",
        "phone_number_id": (
            "The phone number id is the digits Kaleyra returned when the number was added, e.g. 678997654321098."
        ),
        "type_verification": "Choose SMS or VOICE.",
    }
    assert validate(ResendRequest("", "1", "+919876543210")) == {"waba_id": "Choose a WABA."}


def test_no_verification_type_means_sms() -> None:
    checked = validate(ResendRequest("766000000001", "678997654321098", "+919876543210", ""))
    assert isinstance(checked, ValidRequest) and checked.verification is Verification.SMS
