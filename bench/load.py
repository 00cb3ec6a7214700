"""Signed Slack requests sent the way Slack sends them, and what the fakes saw in return."""

from __future__ import annotations

import http.client
import itertools
import json
import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import urlsplit

from bench.sender import Sender, Signed
from tests import slack_requests
from tests.fakes.kaleyra import FakeKaleyra
from tests.fakes.slack import FakeSlack, SlackCall
from tests.support import ALICE, PHONE_NUMBER_ID, WABA

MS = 1000.0
REQUEST_TIMEOUT_SECONDS = 10.0
REPLY_TIMEOUT_SECONDS = 30.0
_numbers = itertools.count(1)
_channels = itertools.count(1)

Key = TypeVar("Key", bound=Hashable)


def inline_command(channel_id: str) -> Signed:
    """An inline resend to a number never used before, so the cooldown lets every one through."""
    number = next(_numbers)
    phone = f"+91 98{number // 10_000:04d} {number % 10_000:04d}"
    return slack_requests.slash_command(f"{WABA} {PHONE_NUMBER_ID} {phone}", user_id=ALICE, channel_id=channel_id)


def bare_command(trigger_id: str) -> Signed:
    return slack_requests.slash_command("", user_id=ALICE, trigger_id=trigger_id)


class Watcher:
    """Reads the fake Slack's calls from where it last stopped, without holding its lock.

    FakeSlack.wait_for rescans every call under the lock its handlers need, which would
    slow the fake down, and with it the figures, as calls pile up.
    """

    def __init__(self, slack: FakeSlack) -> None:
        self._slack = slack
        self._seen = len(slack.calls)

    def wait(self, wanted: Callable[[SlackCall], Key | None], keys: set[Key]) -> dict[Key, SlackCall]:
        """Wait for one call per key; `wanted` maps a call to its key (or None to skip it)."""
        found: dict[Key, SlackCall] = {}
        deadline = time.monotonic() + REPLY_TIMEOUT_SECONDS
        while True:
            calls = self._slack.calls[self._seen :]
            self._seen += len(calls)
            for call in calls:
                key = wanted(call)
                if key is not None and key in keys and key not in found:
                    found[key] = call
            if len(found) == len(keys) or time.monotonic() > deadline:
                return found
            time.sleep(0.002)


def outcome_posted(call: SlackCall) -> tuple[str, str] | None:
    """("reply", channel) for an outcome in a thread, ("update", channel) for the parent's final status.

    Each command here has a channel of its own, so the channel says which command it was.
    """
    if call.method == "chat.postMessage" and call.params.get("thread_ts"):
        return ("reply", str(call.params.get("channel")))
    if call.method == "chat.update":
        return ("update", str(call.params.get("channel")))
    return None


def views_open(call: SlackCall) -> str | None:
    return str(call.params.get("trigger_id")) if call.method == "views.open" else None


def retry_otp_request(kaleyra: FakeKaleyra) -> tuple[str, bytes, dict[str, str]]:
    """(path, body, headers) of the retry_otp call the bot makes for an inline resend."""
    body = json.dumps({"id": PHONE_NUMBER_ID, "phone_number": "+919876543210", "type_verification": "SMS"})
    headers = {"api-key": kaleyra.api_key, "Content-Type": "application/json"}
    return urlsplit(kaleyra.url_for(WABA)).path, body.encode(), headers


def check_sent(answer: bytes) -> None:
    if json.loads(answer).get("code") != "WA200":
        raise RuntimeError(f"the fake Kaleyra answered {answer[:200]!r}")


def kaleyra_direct(kaleyra: FakeKaleyra) -> float:
    """One retry_otp call straight to the fake on a fresh connection, as the bot makes it: the floor."""
    path, body, headers = retry_otp_request(kaleyra)
    port = int(urlsplit(kaleyra.base_url).port or 80)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_SECONDS)
    started = time.perf_counter()
    try:
        connection.request("POST", path, body=body, headers=headers)
        answer = connection.getresponse().read()
    finally:
        connection.close()
    elapsed = time.perf_counter() - started
    check_sent(answer)
    return elapsed


@dataclass
class Round:
    """A round of inline resends: each one's ack, and command in → threaded reply seen at the fake Slack."""

    sent_at: list[float] = field(default_factory=list)  # time.monotonic, the fakes' clock
    acks_ms: list[float] = field(default_factory=list)
    e2e_ms: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def resend(sender: Sender, watcher: Watcher, concurrency: int) -> Round:
    """Send `concurrency` inline commands at once and wait until each outcome is in its thread."""
    channels = [f"C{next(_channels):08d}" for _ in range(concurrency)]
    sent = sender.fire([inline_command(channel) for channel in channels])
    result = Round(sent_at=[s.sent_at for s in sent], acks_ms=[s.ack_seconds * MS for s in sent])
    failed = [s.status for s in sent if s.status != 200]
    if failed:
        result.problems.append(f"{len(failed)} of {concurrency} commands answered {sorted(set(failed))} (0: none)")
    # The parent's update is a command's last call: waiting for it keeps the next round clean.
    posted = watcher.wait(outcome_posted, {(kind, c) for c in channels for kind in ("reply", "update")})
    replies = {channel: call for (kind, channel), call in posted.items() if kind == "reply"}
    if len(posted) < 2 * len(channels):
        result.problems.append(f"{2 * len(channels) - len(posted)} replies or parent updates never came")
    result.e2e_ms = [
        (replies[c].received_at - s.sent_at) * MS for c, s in zip(channels, sent, strict=True) if c in replies
    ]
    return result


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile: p99 of 100 samples is the 99th smallest, never an interpolation."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]
