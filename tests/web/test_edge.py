"""The public endpoint: nothing is read, parsed, counted or logged by content before Slack's signature.

Each test drives the real edge (uvicorn, as `serve` runs it) with raw sockets or signed requests.
"""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests import slack_requests
from tests.ops.conftest import parse_metrics, sample
from tests.slack.conftest import SlackBot
from tests.support import ALICE, PHONE_NUMBER_ID, PHONE_PASTED, WABA

TEN_MB = 10 * 1024 * 1024
INLINE = f"{WABA} {PHONE_NUMBER_ID} {PHONE_PASTED}"


def raw_request(bot: SlackBot, head: str, body: bytes = b"", *, timeout: float = 5.0) -> str:
    """Send `head` and the start of a body on a socket of our own; the status line the bot answers with."""
    host, port = bot.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as conn:
        conn.sendall(head.encode() + b"\r\n" + body)
        answer = conn.recv(4096).decode("latin-1")
    return answer.split("\r\n", 1)[0]


def test_an_oversized_body_is_refused_from_its_length_without_being_read(bot: SlackBot) -> None:
    head = f"POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Type: text/plain\r\nContent-Length: {TEN_MB}\r\n"
    started = time.monotonic()
    # Only 1 kB of the promised 10 MB is ever sent: an answer proves the rest was never waited for.
    status = raw_request(bot, head, b"x" * 1024)
    assert status == "HTTP/1.1 413 Request Entity Too Large"
    assert time.monotonic() - started < 2


def test_a_body_without_a_length_is_refused(bot: SlackBot) -> None:
    head = "POST /slack/events HTTP/1.1\r\nHost: bot\r\nTransfer-Encoding: chunked\r\n"
    assert raw_request(bot, head, b"5\r\nhello\r\n").startswith("HTTP/1.1 411")


@pytest.mark.parametrize("timestamp", ["abc", "", "1e9", "-5", "9" * 40, "1.5", "0x1F"])
def test_malformed_signature_headers_get_401_not_500(bot: SlackBot, timestamp: str) -> None:
    body, headers = slack_requests.slash_command("help", user_id=ALICE)
    headers["X-Slack-Request-Timestamp"] = timestamp
    assert bot.send((body, headers)).status_code == 401
    body, headers = slack_requests.slash_command("help", user_id=ALICE)
    headers["X-Slack-Signature"] = "v0=not-hex"
    assert bot.send((body, headers)).status_code == 401


def test_a_replayed_command_resends_once(start_bot: Callable[..., SlackBot]) -> None:
    bot = start_bot(OTP_COOLDOWN_SECONDS="0")
    signed = slack_requests.slash_command(INLINE, user_id=ALICE)
    assert bot.send(signed).status_code == 200
    bot.settle()
    assert bot.send(signed).status_code == 200
    bot.settle()
    assert len(bot.kaleyra.requests) == 1


def test_copies_of_a_signed_command_sent_at_once_resend_once(start_bot: Callable[..., SlackBot]) -> None:
    # Sent together, the copies are checked in one batch (bot.sightings): only the first is new.
    bot = start_bot(OTP_COOLDOWN_SECONDS="0")
    signed = slack_requests.slash_command(INLINE, user_id=ALICE)
    with ThreadPoolExecutor(max_workers=8) as senders:
        statuses = list(senders.map(lambda _: bot.send(signed).status_code, range(8)))
    bot.settle()
    assert statuses == [200] * 8
    assert len(bot.kaleyra.requests) == 1


def test_a_replayed_view_submission_resends_once(start_bot: Callable[..., SlackBot]) -> None:
    bot = start_bot(OTP_COOLDOWN_SECONDS="0")
    bot.send(slack_requests.slash_command("", user_id=ALICE))
    (opened,) = bot.slack.wait_for("views.open")
    values = slack_requests.state_values(WABA, PHONE_NUMBER_ID, PHONE_PASTED, "SMS")
    signed = slack_requests.view_submission(opened.params["view"], user_id=ALICE, values=values)
    assert bot.send(signed).status_code == 200
    bot.settle()
    assert bot.send(signed).status_code == 200
    bot.settle()
    assert len(bot.kaleyra.requests) == 1


def test_an_event_redelivered_by_slack_is_handled_once(bot: SlackBot) -> None:
    home = {"type": "app_home_opened", "user": ALICE, "channel": "D0ALICE", "tab": "home", "event_ts": "1.2"}
    body, headers = slack_requests.event(home, timestamp=int(time.time()) - 2)
    assert bot.send((body, headers)).status_code == 200
    bot.settle()
    # Slack's retry: the same event_id, signed anew, with its retry headers.
    _, retry_headers = slack_requests.sign(body, "application/json")
    retry_headers |= {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert bot.send((body, retry_headers)).status_code == 200
    bot.settle()
    assert len(bot.slack.calls_to("views.publish")) == 1


def test_unsigned_requests_leave_no_trace_of_their_content_in_metrics_or_logs(
    bot: SlackBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    for n in range(30):
        body = json.dumps({"type": f"forged_{n}\nINFO fake line", "event": {"type": f"e{n}"}})
        answer = slack_requests.post(f"{bot.url}/slack/events", body, {"Content-Type": "application/json"})
        assert answer.status_code == 401

    page = httpx.get(f"{bot.url}/metrics", timeout=10).text
    assert "forged_" not in page and "fake line" not in page
    samples = parse_metrics(page)
    assert sample(samples, "resend_otp_slack_requests_total", kind="unverified") >= 30
    assert sample(samples, "resend_otp_slack_rejected_total", reason="no_signature") >= 30
    rejections = [r for r in caplog.records if r.name == "bot.web"]
    assert len(rejections) == 30 and {r.levelno for r in rejections} == {logging.WARNING}
    assert all("forged_" not in r.getMessage() for r in caplog.records)
    assert "no Slack signature" in rejections[0].getMessage()


def test_a_wrong_signing_secret_is_logged_with_its_reason(bot: SlackBot, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    assert bot.send(slack_requests.slash_command("help", user_id=ALICE, secret="rotated-secret")).status_code == 401
    (rejection,) = [r for r in caplog.records if r.name == "bot.web"]
    assert rejection.levelno == logging.WARNING and "SLACK_SIGNING_SECRET" in rejection.getMessage()


def test_idle_and_slow_clients_do_not_hold_back_a_signed_command(bot: SlackBot) -> None:
    host, port = bot.url.removeprefix("http://").split(":")
    # More than the edge has threads (WEB_THREADS defaults to 32): none of them may be held.
    clients = [socket.create_connection((host, int(port)), timeout=5) for _ in range(80)]
    try:
        for n, conn in enumerate(clients):
            if n % 2:  # half start a request and never finish its headers
                conn.sendall(b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nX-Slow: ")
            else:  # half send headers, then trickle a body that never completes
                conn.sendall(b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Length: 1000\r\n\r\nx")
        started = time.monotonic()
        answer = bot.send(slack_requests.slash_command("help", user_id=ALICE))
        assert answer.status_code == 200
        assert time.monotonic() - started < 1
    finally:
        for conn in clients:
            conn.close()


def test_metrics_need_the_token_when_one_is_set(start_bot: Callable[..., SlackBot]) -> None:
    bot = start_bot(METRICS_TOKEN="metrics-token-123456")
    assert httpx.get(f"{bot.url}/metrics", timeout=10).status_code == 401
    wrong = httpx.get(f"{bot.url}/metrics", headers={"Authorization": "Bearer nope"}, timeout=10)
    assert wrong.status_code == 401
    right = httpx.get(f"{bot.url}/metrics", headers={"Authorization": "Bearer metrics-token-123456"}, timeout=10)
    assert right.status_code == 200 and "resend_otp_slack_requests_total" in right.text
