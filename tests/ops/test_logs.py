"""Log lines as an operator reads them: one per Slack request and per Kaleyra call, joined by a request id.

The bot logs through its own `setup_logging` (formatter, request id, secret filter) into a buffer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text

from bot.config import ConfigError, load_settings
from tests import slack_requests
from tests.ops.conftest import LogLines
from tests.slack.conftest import SlackBot, open_modal
from tests.support import (
    ALICE,
    KALEYRA_API_KEY,
    MALLORY,
    PHONE,
    PHONE_MASKED,
    PHONE_NUMBER_ID,
    PHONE_PASTED,
    WABA,
)

INLINE = f"{WABA} {PHONE_NUMBER_ID} {PHONE_PASTED}"
BOT_TOKEN = "xoxb-test-token-0123456789"
# Every way the test number is written anywhere in these runs.
FULL_NUMBER_FORMS = (PHONE, PHONE.removeprefix("+"), "9876543210", "98765 43210", "98765-43210")
JSON_DEBUG = {"LOG_FORMAT": "json", "LOG_LEVEL": "DEBUG"}


def one(lines: list[dict[str, Any]], **match: Any) -> dict[str, Any]:
    found = [line for line in lines if all(line.get(k) == v for k, v in match.items())]
    assert len(found) == 1, f"expected one line with {match}, got {found}"
    return found[0]


def test_each_request_and_kaleyra_call_is_one_line_joined_by_its_request_id(
    start_bot: Callable[..., SlackBot], capture_logs: Callable[..., LogLines]
) -> None:
    logs = capture_logs(LOG_FORMAT="json")
    bot = start_bot(LOG_FORMAT="json")
    bot.send(slack_requests.slash_command(INLINE, user_id=ALICE))
    bot.send(slack_requests.slash_command(INLINE, user_id=MALLORY))
    bot.settle()
    view = open_modal(bot, ALICE)
    bot.kaleyra.queue("WA500_later")
    values = slack_requests.state_values(WABA, PHONE_NUMBER_ID, "+44 7911 123456", "VOICE")
    bot.send(slack_requests.view_submission(view, user_id=ALICE, values=values))
    bot.settle()

    requests = logs.events("slack_request")
    assert [(r["surface"], r["user"]) for r in requests] == [
        ("command", ALICE),
        ("command", MALLORY),
        ("command", ALICE),
        ("view_submission", ALICE),
    ]
    assert len({r["request_id"] for r in requests}) == 4
    for line in requests:
        assert line["level"] == "info" and line["http_status"] == 200 and line["latency_ms"] >= 0
    inline, refused, _opened, submitted = (r["request_id"] for r in requests)

    calls = logs.events("kaleyra_call")
    assert len(calls) == len(bot.kaleyra.requests) == 2
    sent = one(calls, request_id=inline)
    assert {k: sent[k] for k in ("user", "waba_id", "number", "code", "outcome", "http_status")} == {
        "user": ALICE,
        "waba_id": WABA,
        "number": PHONE_MASKED,
        "code": "WA200",
        "outcome": "sent",
        "http_status": 200,
    }
    assert isinstance(sent["latency_ms"], int) and sent["latency_ms"] >= 0
    failed = one(calls, request_id=submitted)
    assert (failed["user"], failed["number"], failed["code"], failed["outcome"]) == (
        ALICE,
        "+44\u2022\u2022\u2022\u2022\u2022\u20223456",
        "WA500",
        "upstream_error",
    )

    refusal = one(logs.events("resend"), request_id=refused)
    assert (refusal["user"], refusal["waba_id"], refusal["number"], refusal["code"]) == (
        MALLORY,
        WABA,
        PHONE_MASKED,
        "NOT_ALLOWED",
    )
    assert one(logs.events("delivery"), request_id=inline)["delivery"] == "channel"


def test_text_format_is_readable_and_carries_the_same_fields(
    start_bot: Callable[..., SlackBot], capture_logs: Callable[..., LogLines]
) -> None:
    logs = capture_logs(LOG_FORMAT="text")
    bot = start_bot(LOG_FORMAT="text")
    bot.send(slack_requests.slash_command(INLINE, user_id=ALICE))
    bot.settle()

    (call,) = [line for line in logs.text.splitlines() if "event=kaleyra_call" in line]
    assert " INFO bot.resend: resend sent [" in call
    for shown in (f"user={ALICE}", f"waba_id={WABA}", f"number={PHONE_MASKED}", "code=WA200", "latency_ms="):
        assert shown in call
    request_id = call.split("request_id=")[1].split()[0]
    (request,) = [line for line in logs.text.splitlines() if "event=slack_request" in line]
    assert f"request_id={request_id} " in request and f"user={ALICE}" in request


def test_no_secret_and_no_full_number_reaches_the_log_even_at_debug(
    start_bot: Callable[..., SlackBot], capture_logs: Callable[..., LogLines]
) -> None:
    logs = capture_logs(**JSON_DEBUG)
    bot = start_bot(**JSON_DEBUG)
    # The paths that handle the full number: inline, the modal, cooldown, a number typed where
    # the WABA id goes, Kaleyra refusing the credentials, and the store failing mid-request.
    bot.send(slack_requests.slash_command(INLINE, user_id=ALICE, response_url=bot.slack.response_url()))
    bot.settle()
    view = open_modal(bot, ALICE)
    values = slack_requests.state_values(WABA, PHONE_NUMBER_ID, PHONE_PASTED, "SMS")
    assert "errors" in bot.send(slack_requests.view_submission(view, user_id=ALICE, values=values)).json()
    bot.send(slack_requests.slash_command(f"{PHONE.removeprefix('+')} {PHONE_NUMBER_ID} {PHONE}", user_id=ALICE))
    bot.kaleyra.queue("RBC001")
    bot.send(slack_requests.slash_command(f"{WABA} {PHONE_NUMBER_ID} +91 98765 00000", user_id=ALICE))
    bot.settle()
    with bot.runtime.engine.begin() as connection:
        connection.execute(text("ALTER TABLE attempts RENAME TO attempts_gone"))
    bot.send(slack_requests.slash_command(f"{WABA} {PHONE_NUMBER_ID} {PHONE_PASTED}", user_id="U0BOB"))
    bot.settle()

    records = logs.records()
    levels = {r["level"] for r in records}
    assert {"debug", "info", "error"} <= levels, levels
    assert one(logs.events("resend"), code="COOLDOWN")["number"] == PHONE_MASKED
    assert one(logs.events("resend"), code="NOT_ALLOWED")["waba_id"] == "\u2022" * 8 + "3210"
    assert one(logs.events("kaleyra_call"), code="RBC001")["outcome"] == "auth"
    assert any("exception" in r for r in records if r["level"] == "error"), "the store failure was not logged"
    for secret in (KALEYRA_API_KEY, slack_requests.SIGNING_SECRET, BOT_TOKEN):
        assert secret not in logs.text
    for form in FULL_NUMBER_FORMS:
        assert form not in logs.text, f"{form!r} is in the log"


def test_log_level_keeps_quieter_lines_out(
    start_bot: Callable[..., SlackBot], capture_logs: Callable[..., LogLines]
) -> None:
    logs = capture_logs(LOG_FORMAT="json", LOG_LEVEL="warning")
    bot = start_bot(LOG_FORMAT="json", LOG_LEVEL="warning")
    bot.send(slack_requests.slash_command(INLINE, user_id=ALICE))
    bot.settle()

    assert len(bot.kaleyra.requests) == 1
    assert logs.records() == []
    logging.getLogger("bot.resend").warning("still shown")
    assert [r["message"] for r in logs.records()] == ["still shown"]


@pytest.mark.parametrize("raw", ["verbose", "5", "TRACE"])
def test_an_unknown_log_level_is_named_with_the_choices(raw: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({"LOG_LEVEL": raw}, dotenv=False)
    assert "LOG_LEVEL" in str(caught.value) and "DEBUG, INFO, WARNING, ERROR" in str(caught.value)


def test_a_secret_is_redacted_whichever_logger_writes_it(capture_logs: Callable[..., LogLines]) -> None:
    password = "db-pa55word-9f3e"
    logs = capture_logs(LOG_FORMAT="json", DATABASE_URL=f"postgresql+psycopg://bot:{password}@db.internal:5432/bot")
    url = f"postgresql+psycopg://bot:{password}@db.internal:5432/bot"
    logging.getLogger("some.library").error("cannot connect to %s with key %s", url, KALEYRA_API_KEY)
    try:
        raise RuntimeError(f"Authorization: Bearer {BOT_TOKEN}")
    except RuntimeError:
        logging.getLogger("another.library").exception("request failed")

    for secret in (password, KALEYRA_API_KEY, BOT_TOKEN):
        assert secret not in logs.text
    first, second = logs.records()
    assert (
        first["message"]
        == "cannot connect to postgresql+psycopg://bot:[redacted]@db.internal:5432/bot with key [redacted]"
    )
    assert "Bearer [redacted]" in second["exception"]


def test_text_log_lines_cannot_be_forged_by_what_they_quote(capture_logs: Callable[..., LogLines]) -> None:
    logs = capture_logs(LOG_FORMAT="text")
    forged = "S0GROUP\n2026-12-01 03:12:00,000 INFO bot.resend: resend sent [user=U0ADMIN]"
    logging.getLogger("bot.slack.groups").warning(
        "usergroups.users.list failed for %s", forged, extra={"user": "U1\rX"}
    )
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("bot").exception("the bot's own traceback keeps its lines")

    lines = logs.text.splitlines()
    (warning,) = [line for line in lines if "usergroups" in line]
    assert "S0GROUP\\n2026-12-01" in warning and "user=U1\\rX" in warning
    assert not [line for line in lines if line.startswith("2026-12-01 03:12:00")]
    assert "Traceback (most recent call last):" in lines
