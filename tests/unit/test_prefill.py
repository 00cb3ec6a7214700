"""The form prefilled from an alert: the values it names, preferring a WABA the person may use."""

from __future__ import annotations

from bot.alerts import extract_alert_fields
from bot.slack.listeners.shortcuts.resend_from_alert import prefill_from

ALERT = {
    "text": "OTP not received: WABA 766000000002, WABA 766000000001, phone number id 678997654321098, +91 98765 43210"
}


def test_a_waba_the_person_may_use_is_preferred() -> None:
    prefill = prefill_from(extract_alert_fields(ALERT), {"766000000001"})
    assert (prefill.waba_id, prefill.phone_number_id) == ("766000000001", "678997654321098")
    assert prefill.phone_number is not None and prefill.phone_number.endswith("43210")


def test_otherwise_the_first_waba_is_named() -> None:
    assert prefill_from(extract_alert_fields(ALERT), set()).waba_id == "766000000002"


def test_a_message_that_names_nothing_says_so() -> None:
    prefill = prefill_from(extract_alert_fields({"text": "all good"}), {"766000000001"})
    assert prefill.notice is not None and "names no WABA" in prefill.notice
