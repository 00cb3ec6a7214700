"""Signed Slack requests sent the way Slack sends them, and what the fakes saw in return."""

from __future__ import annotations

import http.client
import itertools
import json
import time
from collections.abc import Callable, Hashable, Sequence
from urllib.parse import urlsplit

from bench.sender import Signed
from tests import slack_requests
from tests.fakes.kaleyra import FakeKaleyra
from tests.fakes.slack import FakeSlack, SlackCall
from tests.support import ALICE, PHONE_NUMBER_ID, WABA

REQUEST_TIMEOUT_SECONDS = 10.0
REPLY_TIMEOUT_SECONDS = 30.0
_numbers = itertools.count(1)


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

    def wait(self, wanted: Callable[[SlackCall], Hashable | None], keys: set[Hashable]) -> dict[Hashable, SlackCall]:
        """Wait for one call per key; `wanted` maps a call to its key (or None to skip it)."""
        found: dict[Hashable, SlackCall] = {}
        deadline = time.monotonic() + REPLY_TIMEOUT_SECONDS
        while True:
            calls = self._slack.calls[self._seen :]
            self._seen += len(calls)
            for call in calls:
                key = wanted(call)
                if key in keys and key not in found:
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


def kaleyra_direct(kaleyra: FakeKaleyra) -> float:
    """One retry_otp call straight to the fake on a fresh connection, as the bot makes it: the floor."""
    body = json.dumps({"id": PHONE_NUMBER_ID, "phone_number": "+919876543210", "type_verification": "SMS"})
    headers = {"api-key": kaleyra.api_key, "Content-Type": "application/json"}
    path = urlsplit(kaleyra.url_for(WABA)).path
    port = int(urlsplit(kaleyra.base_url).port or 80)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_SECONDS)
    started = time.perf_counter()
    try:
        connection.request("POST", path, body=body.encode(), headers=headers)
        answer = connection.getresponse().read()
    finally:
        connection.close()
    elapsed = time.perf_counter() - started
    if json.loads(answer).get("code") != "WA200":
        raise RuntimeError(f"the fake Kaleyra answered {answer[:200]!r}")
    return elapsed


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile: p99 of 100 samples is the 99th smallest, never an interpolation."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]
