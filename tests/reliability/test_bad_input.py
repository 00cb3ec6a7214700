"""Whatever people type or paste (unicode, 10 kB, control characters, SQL, mrkdwn, mentions), the bot
answers clearly, never with a 5xx or a crash, and never posts the input back as live markup."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.store.models import Attempt
from tests import slack_requests
from tests.fakes.slack import SlackCall
from tests.reliability.conftest import stored_attempts
from tests.slack.conftest import SlackBot
from tests.support import ALICE, BOB, OTHER_WABA, PHONE_NUMBER_ID, PHONE_PASTED, WABA

MARKER = "pwned"
INJECTIONS = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    f"<@{BOB}>",
    f"<@{BOB}|{MARKER}>",
    "<!subteam^S0ONCALL>",
    f"<!subteam^S0ONCALL|@{MARKER}>",
    f"<http://{MARKER}.example|click>",
    f"<mailto:{MARKER}@example.com>",
    f"*{MARKER}*",
    f"_{MARKER}_",
    f"~{MARKER}~",
    f"`{MARKER}`",
    f"```{MARKER}```",
    f"> {MARKER}",
    "&lt;!channel&gt;",
    "&amp;lt;!here&amp;gt;",
    "'; DROP TABLE attempts; --",
    '" OR 1=1 --',
    "%s%s%n{0}{}",
    "\x00",
    "\x1b[31m",
    "\r\n",
    "\u202e",
    "\u200b",
    "\ufeff",
    "\U0001f600",
    "\u0663\u0664\u0665",
    "\uff19\uff18\uff17",
]
GOOD_PARTS = [WABA, OTHER_WABA, PHONE_NUMBER_ID, "+91", "98765", "43210", PHONE_PASTED, "sms", "voice", "SMS", "VOICE"]
WORDS = ["help", "history", "grant", "revoke", "grants", "waba", "add", "list", "remove", "*"]

part = st.one_of(st.sampled_from(INJECTIONS), st.sampled_from(GOOD_PARTS), st.sampled_from(WORDS), st.text(max_size=24))
ten_kb = st.builds(lambda seed: (seed * 10240)[:10240], st.one_of(st.sampled_from(INJECTIONS), st.text(min_size=1)))
# A pasted page where the WABA id goes, then the other parts: the refusal must still fit in a message.
long_first_word = st.builds(
    lambda word, rest: " ".join([word, *rest]),
    ten_kb.map(lambda text: "".join(text.split()) or "x"),
    st.lists(part, min_size=2, max_size=3),
)
free_text = st.one_of(st.lists(part, max_size=8).map(" ".join), st.text(), ten_kb, long_first_word)
field_value = st.one_of(st.none(), st.sampled_from(GOOD_PARTS), st.sampled_from(INJECTIONS), st.text(), ten_kb)

# Ours to post: the asker's own mention and Slack's localised dates.
OUR_MARKUP = re.compile(rf"<@{ALICE}>|<!date\^\d+\^[^|<>]*\|[^<>]*>")
ANY_MARKUP = re.compile(r"<[^<>]*>")
# Plain-text fields of a view: Slack shows them as typed, never as mrkdwn.
PLAIN_KEYS = frozenset({"initial_value", "placeholder", "value", "private_metadata", "action_id", "block_id"})
HYPOTHESIS = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.large_base_example],
    database=None,
)


def shown_strings(value: Any, key: str = "") -> Iterator[str]:
    """Every string in a call that Slack may render as mrkdwn."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from shown_strings(v, k)
    elif isinstance(value, list):
        for item in value:
            yield from shown_strings(item, key)
    elif isinstance(value, str) and key not in PLAIN_KEYS:
        yield value


def live_markup(value: Any) -> list[str]:
    """Mentions, links and broadcasts the bot did not mean to post (escaped ones show as text)."""
    return [m for text in shown_strings(value) for m in ANY_MARKUP.findall(text) if not OUR_MARKUP.fullmatch(m)]


def too_long(value: Any) -> list[str]:
    """Text objects over Slack's 3000 characters: Slack refuses the whole message, so nobody hears back."""
    if isinstance(value, list):
        return [t for item in value for t in too_long(item)]
    if not isinstance(value, dict):
        return []
    found = [t for item in value.values() for t in too_long(item)]
    if value.get("type") in ("mrkdwn", "plain_text") and len(str(value.get("text", ""))) > 3000:
        found.append(str(value["text"])[:80] + "…")
    return found


class Checker:
    """Runs one input through the bot and checks everything the bot said back."""

    def __init__(self, bot: SlackBot, caplog: pytest.LogCaptureFixture) -> None:
        self.bot = bot
        self.caplog = caplog
        self.tried = 0
        caplog.set_level(logging.WARNING)

    def send(self, signed: tuple[str, dict[str, str]]) -> tuple[dict[str, Any] | None, list[SlackCall]]:
        """POST, wait for the background work, and return the ack body and every Slack call it caused."""
        before, logged = len(self.bot.slack.calls), len(self.caplog.records)
        response = self.bot.send(signed)
        assert response.status_code == 200, (response.status_code, response.text[:300])
        self.bot.settle()
        crashes = [r for r in self.caplog.records[logged:] if r.levelno >= logging.ERROR]
        assert not crashes, [r.getMessage() for r in crashes]
        ack = json.loads(response.content) if response.content else None
        return ack, self.bot.slack.calls[before:]

    def said_cleanly(self, ack: dict[str, Any] | None, calls: list[SlackCall], *, answered: bool = True) -> None:
        if answered:
            assert ack is not None or calls, "no answer at all"
        if ack is not None and "errors" not in ack:  # modal errors are plain text
            assert not live_markup(ack), live_markup(ack)
            assert not too_long(ack), too_long(ack)
        for call in calls:
            assert not live_markup(call.params), (call.method, live_markup(call.params))
            assert not too_long(call.params), (call.method, too_long(call.params))


@pytest.fixture
def checker(start_bot: Callable[..., SlackBot], database_url: str, caplog: pytest.LogCaptureFixture) -> Checker:
    """One bot for every example of a test, on SQLite or PostgreSQL; no cooldown or per-person limit,
    so valid examples all run."""
    return Checker(
        start_bot(DATABASE_URL=database_url, OTP_COOLDOWN_SECONDS="0", RESENDS_PER_USER_PER_HOUR="0"), caplog
    )


def audited_count(rows: list[Attempt]) -> int:
    """Attempts and refusals audited, each row counting the refusals folded into it."""
    return sum(1 + row.repeats for row in rows)


def test_any_command_text_gets_a_clean_answer(checker: Checker) -> None:
    @HYPOTHESIS
    @given(text=free_text)
    def run(text: str) -> None:
        checker.tried += 1
        signed = slack_requests.slash_command(
            text, user_id=ALICE, channel_id="C0BAD", response_url=checker.bot.slack.response_url("bad")
        )
        checker.said_cleanly(*checker.send(signed))

    run()
    print(f"command texts tried: {checker.tried}")


# PostgreSQL only: it is the stricter store (no NUL in text, strict column sizes), and each example costs two requests.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_any_modal_values_get_a_clean_answer_and_a_clean_history(checker: Checker) -> None:
    bot = checker.bot
    bot.send(slack_requests.slash_command("", user_id=ALICE, channel_id="C0BAD", response_url=bot.slack.response_url()))
    (opened,) = bot.slack.wait_for("views.open")

    @HYPOTHESIS
    @given(
        waba_id=field_value,
        phone_number_id=field_value,
        phone_number=field_value,
        verification=st.one_of(field_value, st.sampled_from(INJECTIONS)),
        metadata=st.one_of(st.none(), st.text(max_size=100), st.sampled_from(INJECTIONS)),
    )
    def run(
        waba_id: str | None,
        phone_number_id: str | None,
        phone_number: str | None,
        verification: str | None,
        metadata: str | None,
    ) -> None:
        checker.tried += 1
        view = dict(opened.params["view"])
        if metadata is not None:
            view["private_metadata"] = metadata
        values = slack_requests.state_values(waba_id, phone_number_id, phone_number, verification)
        audited = audited_count(stored_attempts(bot.runtime.sessions))
        ack, calls = checker.send(slack_requests.view_submission(view, user_id=ALICE, values=values))
        assert ack is None or set(ack) == {"response_action", "errors"}, ack
        checker.said_cleanly(ack, calls, answered=False)
        # Every submission is audited, refused or not (past a burst, counted on an earlier refusal),
        # and Kaleyra only hears of audited attempts.
        rows = stored_attempts(bot.runtime.sessions)
        assert audited_count(rows) == audited + 1
        assert len(bot.kaleyra.requests) == len([r for r in rows if not r.status.startswith("refused")])
        # What was typed is audited and shown again by `history`: as text, never as markup.
        history = slack_requests.slash_command("history", user_id=ALICE, response_url=bot.slack.response_url("h"))
        checker.said_cleanly(*checker.send(history))

    run()
    print(f"modal submissions tried: {checker.tried}")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_any_alert_text_opens_a_clean_prefilled_modal(checker: Checker) -> None:
    @settings(HYPOTHESIS, max_examples=60)
    @given(text=free_text)
    def run(text: str) -> None:
        checker.tried += 1
        alert = {"ts": "1712345678.000200", "text": text, "user": "U0ALERTBOT"}
        signed = slack_requests.message_shortcut(
            "resend_otp_from_message", alert, user_id=ALICE, response_url=checker.bot.slack.response_url("s")
        )
        ack, calls = checker.send(signed)
        assert ack is None and [c.method for c in calls].count("views.open") == 1
        checker.said_cleanly(ack, calls)

    run()
    print(f"alert texts tried: {checker.tried}")
