"""Phone numbers as people paste them."""

from __future__ import annotations

import pytest

from bot.phone import InvalidPhoneNumber, mask_phone, mask_tail, normalise_phone

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("pasted", "e164"),
    [
        ("+919876543210", "+919876543210"),
        ("+91 98765-43210", "+919876543210"),
        ("+91 98765 43210", "+919876543210"),
        ("0091 98765 43210", "+919876543210"),
        ("(+91) 98765.43210", "+919876543210"),
        (f"+91{NBSP}98765{NBSP}43210", "+919876543210"),
        ("  +91 98765 43210\n", "+919876543210"),
        ("+1 (415) 555-2671", "+14155552671"),
        ("+44 20 7946 0958", "+442079460958"),
        ("+55 11 91234-5678", "+5511912345678"),
    ],
)
def test_pasted_numbers_normalise_to_e164(pasted: str, e164: str) -> None:
    assert normalise_phone(pasted) == e164


@pytest.mark.parametrize(
    "pasted",
    [
        "",
        "   ",
        "+91 81234 5678O",  # a letter O for a zero
        "call +91 81234 56789",
        "+91 81234",  # too short for India
        "+91 81234 56789 12",  # too long
        "+999 81234 56789",  # no such country code
        "\u0669\u0661\u0668\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669",  # Arabic-Indic digits
        "+91 81234 56789 ext 2",
    ],
)
def test_what_is_not_a_number_is_refused_plainly(pasted: str) -> None:
    with pytest.raises(InvalidPhoneNumber) as caught:
        normalise_phone(pasted)
    message = str(caught.value)
    assert "e.g." in message or "check" in message
    # The message may be shown in a channel: never the whole number.
    assert "8123456789" not in message.replace(" ", "")


@pytest.mark.parametrize(
    ("e164", "masked"),
    [
        ("+919876543210", "+91\u2022\u2022\u2022\u2022\u2022\u20223210"),
        ("+14155552671", "+1\u2022\u2022\u2022\u2022\u2022\u20222671"),
        ("+442079460958", "+44\u2022\u2022\u2022\u2022\u2022\u20220958"),
        ("+5511912345678", "+55\u2022\u2022\u2022\u2022\u2022\u2022\u20225678"),
    ],
)
def test_mask_shows_country_code_and_last_four(e164: str, masked: str) -> None:
    assert mask_phone(e164) == masked


def test_masking_a_number_parses_it_once_however_often_it_is_shown() -> None:
    from bot.phone import mask_phone

    mask_phone.cache_clear()
    for _ in range(5):
        assert mask_phone("+919876543211") == "+91\u2022\u2022\u2022\u2022\u2022\u20223211"
    assert mask_phone.cache_info().hits == 4


def test_a_number_without_country_code_is_refused_without_a_default_region() -> None:
    with pytest.raises(InvalidPhoneNumber, match="Add the country code"):
        normalise_phone("98765 43210")


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("98765 43210", "+919876543210"),
        ("098765 43210", "+919876543210"),
        ("91 98765 43210", "+919876543210"),
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_a_default_region_reads_numbers_typed_without_plus(typed: str, e164: str) -> None:
    assert normalise_phone(typed, "IN") == e164


def test_machine_text_with_bare_country_code_digits() -> None:
    assert normalise_phone("919876543210", with_country_code=True) == "+919876543210"


def test_a_five_digit_national_number_shows_only_its_last_four() -> None:
    # Niue: +683 and five digits. One digit is hidden; all five would be the whole number.
    assert mask_phone("+68312345") == "+683\u20222345"


def test_a_number_without_a_known_country_code_keeps_two_digits_as_its_code() -> None:
    assert mask_phone("+0001234567") == "+00\u2022\u2022\u2022\u20224567"


@pytest.mark.parametrize(
    ("typed", "region", "says"),
    [
        ("", None, "Enter the number with its country code, e.g. +91 98765 43210."),
        ("+91 98x65", None, "A phone number has only digits after the +, e.g. +91 98765 43210."),
        ("+91 12345", None, "+91\u20222345 is not a valid number; check the country code and digits."),
        ("98765 43210", None, "Add the country code: write the number with + or 00, e.g. +91 98765 43210."),
        ("+999 1234567", None, "That is not a phone number with a country code, e.g. +91 98765 43210."),
        ("12345", "IN", "\u20222345 is not a valid number; check the country code and digits."),
    ],
)
def test_each_refusal_reads_exactly_as_people_see_it(typed: str, region: str | None, says: str) -> None:
    with pytest.raises(InvalidPhoneNumber) as refused:
        normalise_phone(typed, region)
    assert str(refused.value) == says


def test_machine_text_that_has_its_plus_already_is_read_as_is() -> None:
    assert normalise_phone("+919876543210", with_country_code=True) == "+919876543210"


@pytest.mark.parametrize(
    ("typed", "shown"), [("1234", "1234"), ("12345", "\u20222345"), ("919876543210", "\u2022" * 8 + "3210")]
)
def test_a_value_typed_in_the_wrong_field_shows_only_its_last_four(typed: str, shown: str) -> None:
    assert mask_tail(typed) == shown
