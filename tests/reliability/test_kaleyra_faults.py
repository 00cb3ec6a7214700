"""Kaleyra misbehaves: acks stay quick, /healthz answers, others go on, and every outcome is posted and audited."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests import slack_requests
from tests.conftest import seed_store
from tests.fakes.kaleyra import FakeKaleyra, unused_port
from tests.fakes.slack import FakeSlack, SlackCall
from tests.reliability.conftest import bot_environment, said, stored_attempts, timed_send
from tests.serve_process import ServeProcess
from tests.slack.conftest import SlackBot
from tests.support import ALICE, BOB, OTHER_WABA, PHONE_MASKED, PHONE_NUMBER_ID, PHONE_PASTED, WABA

ACK_LIMIT = 3.0
ALICE_CHANNEL = "CALICE"
BOB_CHANNEL = "CBOB"
BOB_PHONE = "+91 98765 11111"
BOB_MASKED = "+91\u2022\u2022\u2022\u2022\u2022\u20221111"


@dataclass(frozen=True)
class Fault:
    scenario: str | None  # queued on FakeKaleyra; None: nothing listens at KALEYRA_BASE_URL
    status: str  # the audit row's outcome
    says: str  # what the threaded reply tells the person
    code: str | None = None
    http_status: int | None = None
    # Kaleyra holds the call open, so other people's commands run while it is in flight.
    in_flight: bool = False


FAULTS = {
    "hang": Fault("hang", "timeout", "may or may not have been sent", in_flight=True),
    "slow": Fault("slow:1", "sent", "OTP sent by SMS", "WA200", 200),
    "html_502": Fault("html502", "unexpected_response", "HTTP 502", None, 502),
    "malformed_json": Fault("malformed_json", "unexpected_response", "could not read", None, 200),
    "unknown_code": Fault("unknown_code", "unexpected_response", "WA999", "WA999", 200),
    "refused": Fault(None, "unreachable", "Could not reach Kaleyra", None, None),
}


def command(text: str, user: str, channel: str) -> tuple[str, dict[str, str]]:
    return slack_requests.slash_command(text, user_id=user, channel_id=channel)


def reply_in(channel: str) -> Callable[[SlackCall], bool]:
    return lambda call: call.params.get("channel") == channel and bool(call.params.get("thread_ts"))


@pytest.mark.parametrize("name", FAULTS)
def test_kaleyra_fault_is_answered_audited_and_isolated(start_bot: Callable[..., SlackBot], name: str) -> None:
    fault = FAULTS[name]
    # The hang's 2 s deadline is Bob's window to be answered while Alice's call is still open;
    # the slow answer (1 s) must beat it.
    overrides = {"KALEYRA_TIMEOUT_SECONDS": "2"}
    if fault.scenario is None:
        overrides["KALEYRA_BASE_URL"] = f"http://127.0.0.1:{unused_port()}"
    bot = start_bot(**overrides)
    if fault.scenario is not None:
        bot.kaleyra.queue(fault.scenario)

    response, ack = timed_send(bot, command(f"{WABA} {PHONE_NUMBER_ID} {PHONE_PASTED}", ALICE, ALICE_CHANNEL))
    assert response.status_code == 200 and ack < ACK_LIMIT
    if fault.scenario is not None:
        bot.kaleyra.wait_for_requests(1)

    # While Alice's call is stuck (or just failed), the bot still answers everyone else.
    started = time.perf_counter()
    health = httpx.get(f"{bot.url}/healthz", timeout=5)
    assert health.status_code == 200 and time.perf_counter() - started < 1.0
    response, ack = timed_send(bot, command(f"{OTHER_WABA} {PHONE_NUMBER_ID} {BOB_PHONE}", BOB, BOB_CHANNEL))
    assert response.status_code == 200 and ack < ACK_LIMIT
    (bob_reply,) = bot.slack.wait_for("chat.postMessage", where=reply_in(BOB_CHANNEL))
    if fault.in_flight:
        alice_replies = [c for c in bot.slack.calls_to("chat.postMessage") if reply_in(ALICE_CHANNEL)(c)]
        assert not alice_replies, "Bob's outcome waited for Alice's stuck Kaleyra call"
    bob_expected = "Could not reach Kaleyra" if fault.scenario is None else "OTP sent by SMS"
    assert bob_expected in said(bob_reply) and BOB_MASKED in said(bob_reply)

    (alice_reply,) = bot.slack.wait_for("chat.postMessage", where=reply_in(ALICE_CHANNEL), timeout=10)
    assert fault.says in said(alice_reply)
    assert PHONE_MASKED in said(alice_reply)
    bot.settle()
    (row,) = [a for a in stored_attempts(bot.runtime.sessions) if a.user_id == ALICE]
    assert (row.status, row.code, row.http_status) == (fault.status, fault.code, fault.http_status)
    assert row.completed_at is not None and row.delivery == "channel"


def test_acks_stay_fast_while_every_kaleyra_call_hangs(
    tmp_path: Path, slack_fakes: tuple[FakeSlack, FakeKaleyra], start_serve: Callable[..., ServeProcess]
) -> None:
    """25 people at once (inline commands and modal opens) on the real server while Kaleyra holds every call."""
    slack, kaleyra = slack_fakes
    database_url = f"sqlite:///{tmp_path / 'burst.db'}"
    seed_store(database_url)
    server = start_serve(**bot_environment(slack, kaleyra, database_url, KALEYRA_TIMEOUT_SECONDS="20"))
    server.wait_healthy()
    inline = [command(f"{WABA} {PHONE_NUMBER_ID} +91 98765 4{n:04d}", BOB, f"C{n:04d}") for n in range(20)]
    kaleyra.queue(*["hang"] * len(inline))
    modal_opens = [slack_requests.slash_command("", user_id=BOB, channel_id=f"CM{n}") for n in range(5)]

    def send(signed: tuple[str, dict[str, str]]) -> tuple[int, float]:
        started = time.perf_counter()
        return server.send(signed).status_code, time.perf_counter() - started

    with ThreadPoolExecutor(max_workers=len(inline) + len(modal_opens)) as senders:
        answers = list(senders.map(send, [*inline, *modal_opens]))
    assert {status for status, _ in answers} == {200}
    assert max(ack for _, ack in answers) < ACK_LIMIT

    kaleyra.wait_for_requests(len(inline), timeout=10)
    slack.wait_for("views.open", len(modal_opens))
    started = time.perf_counter()
    assert httpx.get(f"{server.url}/healthz", timeout=5).status_code == 200
    assert time.perf_counter() - started < 1.0
    assert not [c for c in slack.calls_to("chat.postMessage") if c.params.get("thread_ts")]

    kaleyra.release_hung()
    replies = slack.wait_for(
        "chat.postMessage", len(inline), timeout=10, where=lambda c: bool(c.params.get("thread_ts"))
    )
    assert all("OTP sent by SMS" in said(reply) for reply in replies)
