"""extract_alert_fields over alert messages as Slack delivers them to a message shortcut."""

from __future__ import annotations

import time
from typing import Any

import pytest

from bot.alerts import AlertFields, extract_alert_fields

WABA = "102345678901234"
WABA2 = "102345678909999"
PNID = "109876543210987"
IN = "+919876543210"
IN2 = "+919876543211"
US = "+14155552671"
UK = "+442079460958"


def fields(wabas: tuple[str, ...] = (), pnids: tuple[str, ...] = (), phones: tuple[str, ...] = ()) -> AlertFields:
    return AlertFields(waba_ids=wabas, phone_number_ids=pnids, phone_numbers=phones)


def rich_text(*elements: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "rich_text",
        "elements": [{"type": "rich_text_section", "elements": list(elements)}],
    }


def nested_blocks(depth: int) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "text", "text": f"WABA {WABA}"}
    for _ in range(depth):
        node = {"type": "rich_text_section", "elements": [node]}
    return {"text": "", "blocks": [node]}


CASES = [
    pytest.param(
        {"text": f"OTP not received for WABA {WABA}, phone number id {PNID}, phone +91 98765 43210"},
        fields((WABA,), (PNID,), (IN,)),
        id="plain-text",
    ),
    pytest.param(
        {"text": f"*WABA ID:* `{WABA}`\n*Phone Number ID:* `{PNID}`\n*Phone number:* +91 98765 43210"},
        fields((WABA,), (PNID,), (IN,)),
        id="mrkdwn-bold-labels-and-code",
    ),
    pytest.param(
        {"text": f"_WABA_: {WABA} ~old~ _Number:_ _+1 415 555 2671_"},
        fields((WABA,), (), (US,)),
        id="mrkdwn-italics",
    ),
    pytest.param(
        {"text": "Customer <tel:+919876543210|+91 98765 43210> is stuck on the OTP step"},
        fields(phones=(IN,)),
        id="tel-link-with-label",
    ),
    pytest.param(
        {"text": "Call <tel:+14155552671> and <tel:+919876543210|+91••••••3210>"},
        fields(phones=(US, IN)),
        id="tel-links-bare-and-masked-label",
    ),
    pytest.param(
        {"text": f"WABA-ID={WABA} mobile: +91-98765-43210"},
        fields((WABA,), (), (IN,)),
        id="dashes-in-label-and-number",
    ),
    pytest.param(
        {"text": f"waba #{WABA} msisdn: 0091 9876543210"},
        fields((WABA,), (), (IN,)),
        id="double-zero-prefix",
    ),
    pytest.param(
        {"text": "phone number: (+1) 415-555-2671"},
        fields(phones=(US,)),
        id="bracketed-country-code",
    ),
    pytest.param(
        {"text": "phone_number: 919876543210 (country code, no plus)"},
        fields(phones=(IN,)),
        id="labelled-number-without-plus",
    ),
    pytest.param(
        {"text": f"WhatsApp Business Account (ID): {WABA}\nPhone ID - {PNID}"},
        fields((WABA,), (PNID,)),
        id="long-label-spellings",
    ),
    pytest.param(
        {
            "text": "",
            "attachments": [
                {
                    "color": "#f06a0b",
                    "pretext": "[Opsgenie] Alert #4521 created",
                    "title": "OTP not received",
                    "title_link": "https://acme.app.opsgenie.com/alert/detail/4521",
                    "text": "Customer onboarding stuck at number verification.",
                    "fields": [
                        {"title": "Priority", "value": "P2", "short": True},
                        {"title": "WABA ID", "value": WABA, "short": True},
                        {"title": "Phone Number ID", "value": int(PNID), "short": True},
                        {"title": "Phone Number", "value": "+91 98765 43210", "short": True},
                    ],
                    "fallback": "New alert: OTP not received",
                }
            ],
        },
        fields((WABA,), (PNID,), (IN,)),
        id="opsgenie-attachment-fields",
    ),
    pytest.param(
        {
            "text": "[Triggered] #4521 OTP not received",
            "attachments": [
                {
                    "color": "#a0a0a0",
                    "blocks": [
                        {
                            "type": "section",
                            "text": {
                                "type": "mrkdwn",
                                "text": "<https://acme.pagerduty.com/incidents/Q1|"
                                f"#4521 OTP not received for WABA {WABA}>",
                            },
                        },
                        {
                            "type": "section",
                            "fields": [
                                {"type": "mrkdwn", "text": "*Urgency*\nHigh"},
                                {"type": "mrkdwn", "text": f"*Phone number ID*\n{PNID}"},
                                {"type": "mrkdwn", "text": "*Phone*\n+44 20 7946 0958"},
                            ],
                        },
                        {
                            "type": "actions",
                            "elements": [
                                {
                                    "type": "button",
                                    "text": {"type": "plain_text", "text": "Acknowledge"},
                                    "value": "+919876543299",
                                }
                            ],
                        },
                    ],
                }
            ],
        },
        fields((WABA,), (PNID,), (UK,)),
        id="pagerduty-blocks-in-attachment-button-values-ignored",
    ),
    pytest.param(
        {
            "text": "OTP stuck",
            "blocks": [
                {"type": "header", "text": {"type": "plain_text", "text": "OTP stuck"}},
                rich_text(
                    {"type": "text", "text": "WABA: ", "style": {"bold": True}},
                    {"type": "text", "text": WABA},
                    {"type": "text", "text": "\nPhone: "},
                    {"type": "link", "url": "tel:+919876543210", "text": "+91 98765 43210"},
                    {"type": "text", "text": f"\npnid: {PNID}"},
                ),
                {"type": "context", "elements": [{"type": "mrkdwn", "text": "to +1 415 555 2671"}]},
            ],
        },
        fields((WABA,), (PNID,), (IN, US)),
        id="rich-text-and-context-blocks",
    ),
    pytest.param(
        {
            "text": "[FIRING:1] OtpNotReceived",
            "attachments": [
                {
                    "title": "[FIRING:1] OtpNotReceived (onboarding)",
                    "text": '*Alert:* OTP not received\nlabels: {alertname="OtpNotReceived", '
                    f'phone_number_id="{PNID}", phone_number="+14155552671", '
                    f'waba_id="{WABA}", severity="page"}}',
                }
            ],
        },
        fields((WABA,), (PNID,), (US,)),
        id="alertmanager-labels",
    ),
    pytest.param(
        {
            "text": "",
            "attachments": [
                {
                    "title": "[Triggered] OTP failures above 5 on phone_number:+447911123456",
                    "text": "%%%\nRetries exhausted.\n%%%\n"
                    f"#waba_id:{WABA} #phone_number_id:{PNID} #env:prod @slack-oncall",
                }
            ],
        },
        fields((WABA,), (PNID,), ("+447911123456",)),
        id="datadog-tags",
    ),
    pytest.param(
        {
            "text": "Grafana alert",
            "attachments": [
                {
                    "title": "[FIRING:1] OTP stuck",
                    "text": f"**Firing**\nLabels:\n - waba = {WABA}\n"
                    " - phone_number = +91 98765 43210\n"
                    "<https://business.facebook.com/wa/manage/phone-numbers/"
                    f"?waba_id={WABA2}&amp;phone_number_id={PNID}|Open in WhatsApp Manager>",
                }
            ],
        },
        fields((WABA, WABA2), (PNID,), (IN,)),
        id="grafana-with-link-query-string",
    ),
    pytest.param(
        {
            "text": "Request that failed:\n```{\n"
            f'  "waba_id": "{WABA}",\n  "phone_number_id": {PNID},\n'
            '  "phone_number": "+91 98765 43210",\n  "type_verification": "SMS"\n}```'
        },
        fields((WABA,), (PNID,), (IN,)),
        id="json-in-code-block",
    ),
    pytest.param(
        {
            "type": "message",
            "user": "U0ONCALL",
            "ts": "1717000100.000200",
            "thread_ts": "1717000000.000100",
            "parent_user_id": "U0ALERTS",
            "text": f"<@U0ALERTS> same again on WABA {WABA}: +91 98765 43211",
        },
        fields((WABA,), (), (IN2,)),
        id="thread-reply",
    ),
    pytest.param(
        {"text": "Stuck numbers: +91 98765 43210, +91 98765 43211 and +1 415 555 2671; +91 98765 43210 again"},
        fields(phones=(IN, IN2, US)),
        id="several-numbers-in-order-deduplicated",
    ),
    pytest.param(
        {"text": f"WABA {WABA} and WABA {WABA2}, waba_id {WABA}"},
        fields((WABA, WABA2)),
        id="several-wabas",
    ),
    pytest.param(
        {"text": "Deploy finished :white_check_mark: build 1234567890123 in 4 minutes"},
        fields(),
        id="nothing-named",
    ),
    pytest.param(
        {"text": f"Incident {WABA} for {PNID}, see 919876543210"},
        fields(),
        id="unlabelled-digit-strings-not-guessed",
    ),
    pytest.param(
        {"text": "Phone number ID: 919876543210\nphone_number_id=14155552671"},
        fields(pnids=("919876543210", "14155552671")),
        id="phone-number-id-that-looks-like-a-number",
    ),
    pytest.param(
        {"text": "Phone number ID: +919876543210 (pasted with a plus)"},
        fields(pnids=("919876543210",)),
        id="phone-number-id-with-plus-is-still-an-id",
    ),
    pytest.param(
        {"text": f"The WABA id is {WABA} and the number is +1 415 555 2671"},
        fields((WABA,), (), (US,)),
        id="prose",
    ),
    pytest.param(
        {"text": "Phone number ID: pending\nPhone: 0091 98765 43210"},
        fields(phones=(IN,)),
        id="empty-phone-number-id-then-phone",
    ),
    pytest.param(
        {"text": "Retry scheduled to 2024-05-01 10:30; OTP sent to 0091 98765 43211"},
        fields(phones=(IN2,)),
        id="to-needs-an-international-number",
    ),
    pytest.param(
        {"text": "phone +91 98765 43210 - 2 retries, phone: +91 12345, mobile: 9876543210"},
        fields(phones=(IN,)),
        id="trailing-digits-trimmed-invalid-numbers-dropped",
    ),
    pytest.param(
        {"text": "phones: 12, numbers of attempts: 3, telephone: x, wabas: many, WABA name: Acme"},
        fields(),
        id="labels-without-values",
    ),
]


@pytest.mark.parametrize(("message", "expected"), CASES)
def test_extract_alert_fields(message: dict[str, Any], expected: AlertFields) -> None:
    assert extract_alert_fields(message) == expected


cyclic: dict[str, Any] = {"type": "rich_text_section", "elements": []}
cyclic["elements"].append(cyclic)

ODD_INPUTS = [
    pytest.param(None, id="none"),
    pytest.param([], id="not-a-mapping"),
    pytest.param({}, id="empty"),
    pytest.param({"text": None, "blocks": None, "attachments": None}, id="none-values"),
    pytest.param(
        {"text": True, "blocks": "x", "attachments": [None, 1, "s", {"fields": [None, {"title": 1}]}]},
        id="wrong-types",
    ),
    pytest.param({"text": "<tel:|>< <<>> &lt;&gt; ``` *_~", "blocks": [{}]}, id="broken-markup"),
    pytest.param({"blocks": [cyclic]}, id="cyclic-blocks"),
    pytest.param(nested_blocks(10_000), id="deeply-nested-blocks"),
    pytest.param({"text": "1" * 100_000}, id="100kB-digits"),
    pytest.param({"text": "+1 " * 35_000}, id="100kB-plus-signs"),
    pytest.param({"text": "phone: 9 9 9 9 9 9 9 9 9 9 " * 4_000}, id="100kB-phone-labels"),
    pytest.param({"text": "WABA " * 20_000 + WABA}, id="value-beyond-the-bound"),
]


@pytest.mark.parametrize("message", ODD_INPUTS)
def test_odd_input_never_raises_and_stays_fast(message: Any) -> None:
    started = time.perf_counter()
    assert extract_alert_fields(message) == AlertFields()
    assert time.perf_counter() - started < 1.0


def test_value_at_the_top_of_a_huge_message_is_found() -> None:
    message = {"text": f"WABA {WABA} phone {IN}\n" + "x" * 100_000}
    assert extract_alert_fields(message) == fields((WABA,), (), (IN,))


def test_first_values() -> None:
    found = extract_alert_fields({"text": f"WABA {WABA} pnid {PNID} phones {US} {IN}"})
    assert (found.first_waba_id, found.first_phone_number_id, found.first_phone_number) == (
        WABA,
        PNID,
        US,
    )
    empty = AlertFields()
    assert (empty.first_waba_id, empty.first_phone_number_id, empty.first_phone_number) == (
        None,
        None,
        None,
    )
