"""Only Slack's signed, fresh requests act; no secret reaches a log line; numbers stay masked in
channels; and no flow, from Slack or the CLI, ever deletes an audited attempt.

(Everything a real `serve` process writes at debug is checked for secrets in test_processes.py.)"""

from __future__ import annotations

import io
import logging
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from bot.cli import main as cli_main
from bot.logs import setup_logging
from tests import slack_requests
from tests.reliability.conftest import said, stored_attempts
from tests.slack.conftest import SlackBot
from tests.support import (
    ALICE,
    BOB,
    KALEYRA_API_KEY,
    OTHER_WABA,
    PHONE,
    PHONE_NUMBER_ID,
    PHONE_PASTED,
    SLACK_BOT_TOKEN,
    WABA,
)

Signed = tuple[str, dict[str, str]]
INLINE = f"{WABA} {PHONE_NUMBER_ID} {PHONE_PASTED}"
SECRETS = (KALEYRA_API_KEY, slack_requests.SIGNING_SECRET, SLACK_BOT_TOKEN)
ADMIN = "U0ADMIN"
ALERT_TS = "1712345678.000200"


def paths(bot: SlackBot) -> dict[str, Callable[..., Signed]]:
    """One request per kind Slack sends to /slack/events, each of which would act if accepted."""
    bot.send(slack_requests.slash_command("", user_id=ALICE))
    (opened,) = bot.slack.wait_for("views.open")
    values = slack_requests.state_values(WABA, PHONE_NUMBER_ID, PHONE_PASTED, "SMS")
    home = {"type": "app_home_opened", "user": ALICE, "channel": "D0ALICE", "tab": "home", "event_ts": "1.2"}
    alert = {"ts": ALERT_TS, "text": f"OTP stuck: WABA {WABA} id {PHONE_NUMBER_ID} {PHONE}"}
    return {
        "command": lambda **sig: slack_requests.slash_command(INLINE, user_id=ALICE, **sig),
        "view_submission": lambda **sig: slack_requests.view_submission(
            opened.params["view"], user_id=ALICE, values=values, **sig
        ),
        "block_actions": lambda **sig: slack_requests.block_actions("open_resend_modal", "open", user_id=ALICE, **sig),
        "shortcut": lambda **sig: slack_requests.message_shortcut(
            "resend_otp_from_message", alert, user_id=ALICE, **sig
        ),
        "event": lambda **sig: slack_requests.event(home, **sig),
    }


def test_every_path_acts_only_on_a_valid_signature_from_the_last_five_minutes(bot: SlackBot) -> None:
    requests = paths(bot)
    bot.settle()
    now = int(time.time())
    forgeries: dict[str, dict[str, Any]] = {
        "wrong secret": {"secret": "not-the-signing-secret"},
        "5 min 10 s old": {"timestamp": now - 310},
        "5 min 10 s ahead": {"timestamp": now + 310},
    }
    for kind, build in requests.items():
        calls_before, kaleyra_before = len(bot.slack.calls), len(bot.kaleyra.requests)
        audited_before = len(stored_attempts(bot.runtime.sessions))
        for forgery, signing in forgeries.items():
            assert bot.send(build(**signing)).status_code == 401, (kind, forgery)
        body, headers = build()
        assert bot.send((body, {"Content-Type": headers["Content-Type"]})).status_code == 401, (kind, "unsigned")
        bot.settle()
        assert len(bot.slack.calls) == calls_before, f"a forged {kind} made the bot call Slack"
        assert len(bot.kaleyra.requests) == kaleyra_before
        assert len(stored_attempts(bot.runtime.sessions)) == audited_before

        # Inside the window, the same request is Slack's and acts: the refusals above were the signatures'.
        assert bot.send(build(timestamp=now - 290)).status_code == 200, kind
        bot.settle()
        acted = len(bot.slack.calls) > calls_before or len(stored_attempts(bot.runtime.sessions)) > audited_before
        assert acted, f"a genuine {kind} did nothing"


@pytest.fixture
def bot_log() -> Iterator[Callable[[SlackBot], io.StringIO]]:
    """The bot's own log handler (format and secret filter as `serve` sets them) into a buffer,
    with every library's debug lines let through too; logging is put back afterwards."""
    names = ("", "bot", "slack_sdk", "slack_bolt", "httpx", "httpcore", "sqlalchemy", "alembic", "urllib3")
    levels = {name: logging.getLogger(name).level for name in names}
    handlers = logging.getLogger().handlers[:]

    def capture(bot: SlackBot) -> io.StringIO:
        setup_logging(bot.runtime.settings)
        for name in names:
            logging.getLogger(name).setLevel(logging.DEBUG)
        (handler,) = logging.getLogger().handlers
        assert isinstance(handler, logging.StreamHandler)
        buffer = io.StringIO()
        handler.setStream(buffer)
        return buffer

    try:
        yield capture
    finally:
        logging.getLogger().handlers[:] = handlers
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def test_no_secret_in_any_log_line_even_with_every_library_at_debug(
    start_bot: Callable[..., SlackBot], bot_log: Callable[[SlackBot], io.StringIO]
) -> None:
    bot = start_bot(LOG_LEVEL="DEBUG", LOG_FORMAT="text")
    log = bot_log(bot)
    for build in paths(bot).values():
        bot.send(build(secret="not-the-signing-secret"))
        bot.send(build())
        bot.settle()
    bot.kaleyra.queue("RBC001")
    bot.send(slack_requests.slash_command(f"{OTHER_WABA} {PHONE_NUMBER_ID} +91 98765 11111", user_id=BOB))
    bot.settle()
    bot.slack.fail("chat.postMessage", "invalid_auth")
    # The parent cannot be posted: the outcome goes through the command's response_url.
    response_url = bot.slack.response_url("secrets")
    inline = f"{OTHER_WABA} {PHONE_NUMBER_ID} +91 98765 22222"
    bot.send(slack_requests.slash_command(inline, user_id=BOB, response_url=response_url))
    bot.settle()
    lines = log.getvalue()
    for library in ("slack_sdk.web", "slack_sdk.webhook", "bot.slack.bolt", "httpcore", "sqlalchemy.engine"):
        assert re.search(rf"DEBUG {re.escape(library)}", lines), f"no debug line from {library}: the capture is blind"
    for secret in SECRETS:
        assert secret not in lines


def test_every_flow_masks_numbers_and_never_deletes_an_audited_attempt(
    start_bot: Callable[..., SlackBot],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bot = start_bot(ADMIN_USER_IDS=ADMIN)
    statements: list[str] = []
    event.listen(bot.runtime.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", str(bot.runtime.engine.url))
    slack = bot.slack

    def command(text: str, user: str = ALICE) -> None:
        bot.send(
            slack_requests.slash_command(
                text, user_id=user, channel_id="C0ONBOARD", response_url=slack.response_url(user)
            )
        )

    def modal(user: str, waba: str, phone: str) -> None:
        opened = len(slack.calls_to("views.open"))
        command("", user)
        view = slack.wait_for("views.open", opened + 1)[-1].params["view"]
        values = slack_requests.state_values(waba, PHONE_NUMBER_ID, phone, "VOICE")
        bot.send(slack_requests.view_submission(view, user_id=user, values=values))

    def shortcut() -> None:
        alert = {"ts": ALERT_TS, "text": f"OTP stuck: WABA {WABA} phone number id {PHONE_NUMBER_ID} +91 98765 22222"}
        opened = len(slack.calls_to("views.open"))
        bot.send(
            slack_requests.message_shortcut("resend_otp_from_message", alert, user_id=ALICE, channel_id="C0ALERTS")
        )
        view = slack.wait_for("views.open", opened + 1)[-1].params["view"]
        values = slack_requests.state_values(WABA, PHONE_NUMBER_ID, "+91 98765 22222", "SMS")
        bot.kaleyra.queue("WA400_phone")  # refused by Kaleyra: the cooldown claim is deleted again
        bot.send(slack_requests.view_submission(view, user_id=ALICE, values=values))

    def resend_again() -> None:
        (first,) = [a for a in stored_attempts(bot.runtime.sessions) if a.status == "sent"][:1]
        bot.send(slack_requests.block_actions("resend_again", str(first.id), user_id=ALICE, channel_id="C0ONBOARD"))

    def home() -> None:
        opened = {"type": "app_home_opened", "user": ALICE, "channel": "D0ALICE", "tab": "home", "event_ts": "1.2"}
        bot.send(slack_requests.event(opened))

    def cli(*argv: str) -> Callable[[], None]:
        def run() -> None:
            assert cli_main(list(argv)) == 0, capsys.readouterr().err

        return run

    flows: dict[str, Callable[[], None]] = {
        "inline": lambda: command(INLINE),
        "inline in cooldown": lambda: command(INLINE, BOB),
        "modal": lambda: modal(BOB, OTHER_WABA, "+91 98765 11111"),
        "modal refused": lambda: modal(ALICE, OTHER_WABA, "+91 98765 11111"),
        "shortcut": shortcut,
        "resend again": resend_again,
        "history": lambda: command("history"),
        "app home": home,
        "slack waba remove": lambda: command(f"waba remove {OTHER_WABA}", ADMIN),
        "slack revoke": lambda: command(f"revoke <@{ALICE}> {WABA}", ADMIN),
        "slack grant": lambda: command(f"grant <@{ALICE}> {WABA}", ADMIN),
        "cli waba remove": cli("waba", "remove", WABA),
        "cli revoke": cli("revoke", "S0ONCALL", "*"),
        "cli audit": cli("audit", "--limit", "100"),
    }
    audited = 0
    for name, flow in flows.items():
        flow()
        bot.settle()
        now = len(stored_attempts(bot.runtime.sessions))
        assert now >= audited, f"{name} deleted {audited - now} attempt(s)"
        audited = now
    assert audited >= 6 and len(bot.kaleyra.requests) == 3
    deletes = [s for s in statements if re.match(r"\s*DELETE\s+FROM\s+\"?attempts\b", s, re.IGNORECASE)]
    assert not deletes
    assert any(re.match(r"\s*DELETE\s+FROM\s+\"?cooldown_claims", s, re.IGNORECASE) for s in statements), (
        "the statement capture saw no DELETE at all: it is blind"
    )

    shown = [c for c in slack.calls if c.method not in ("views.open", "usergroups.users.list")]
    assert {c.method for c in shown} >= {"chat.postMessage", "chat.update", "response_url", "views.publish"}
    for call in shown:
        assert "98765" not in said(call), f"a full number in {call.method}: {said(call)[:300]}"


def test_a_key_kaleyra_echoes_never_reaches_the_channel_the_audit_or_the_logs(
    start_bot: Callable[..., SlackBot], bot_log: Callable[[SlackBot], io.StringIO]
) -> None:
    bot = start_bot(LOG_LEVEL="DEBUG", LOG_FORMAT="text")
    log = bot_log(bot)
    echoed = f"api-key {KALEYRA_API_KEY} is not allowed for token {SLACK_BOT_TOKEN}\n<!channel> look"
    bot.kaleyra.answer(400, {"code": "WA400", "message": echoed, "error": {"phone_number": echoed}})
    bot.send(slack_requests.slash_command(INLINE, user_id=ALICE))
    (reply,) = bot.slack.wait_for("chat.postMessage", where=lambda c: bool(c.params.get("thread_ts")))
    bot.settle()

    (row,) = stored_attempts(bot.runtime.sessions)
    assert row.status == "bad_request" and "[redacted]" in said(reply) and "[redacted]" in (row.message or "")
    for secret in SECRETS:
        assert secret not in said(reply) and secret not in (row.message or "") and secret not in log.getvalue()
    assert "<!channel>" not in said(reply)
