"""/metrics after a run shows what happened; with several gunicorn workers, all of them together."""

from __future__ import annotations

import os
import shutil
import signal
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector

from bot.store import access, wabas
from bot.store.db import make_engine, make_sessions, upgrade
from tests import slack_requests
from tests.fakes.kaleyra import FakeKaleyra
from tests.fakes.slack import FakeSlack
from tests.ops.conftest import Samples, parse_metrics, sample, scrape
from tests.serve_process import ServeProcess, bot_environment, free_port
from tests.slack.conftest import SlackBot, open_modal
from tests.support import ALICE, KALEYRA_API_KEY, KALEYRA_SID, MALLORY, PHONE_NUMBER_ID, WABA, WABA_NAME

REQUESTS = "resend_otp_slack_requests_total"
RESENDS = "resend_otp_resends_total"
KALEYRA = "resend_otp_kaleyra_calls_total"
LATENCY_COUNT = "resend_otp_kaleyra_latency_seconds_count"
REFUSALS = "resend_otp_refusals_total"
FALLBACKS = "resend_otp_delivery_fallbacks_total"


def delta(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return sample(after, name, **labels) - sample(before, name, **labels)


def command(text: str, user_id: str = ALICE, **extra: str) -> tuple[str, dict[str, str]]:
    return slack_requests.slash_command(f"{WABA} {PHONE_NUMBER_ID} {text}", user_id=user_id, **extra)


def test_metrics_count_requests_resends_kaleyra_outcomes_refusals_and_fallbacks(
    bot: SlackBot, metrics_url: str
) -> None:
    # Counters live for the whole test process: what this run did is the difference.
    before = scrape(metrics_url)
    bot.send(command("+91 98765 43210"))
    bot.settle()
    bot.send(command("+91 98765 43210"))  # the same number again: cooldown
    bot.send(command("+91 98765 43210", user_id=MALLORY))  # no grant
    bot.settle()
    bot.kaleyra.queue("WA500_later")
    bot.slack.fail("chat.postMessage", "not_in_channel")  # the announcement, then the reply falls back
    bot.send(command("+91 98765 11111", response_url=bot.slack.response_url()))
    bot.settle()
    view = open_modal(bot, ALICE)
    values = slack_requests.state_values(WABA, PHONE_NUMBER_ID, "+91 98765 22222", "VOICE")
    bot.send(slack_requests.view_submission(view, user_id=ALICE, values=values))
    bot.settle()
    after = scrape(metrics_url)

    assert delta(before, after, REQUESTS, kind="command") == 5
    assert delta(before, after, REQUESTS, kind="view_submission") == 1
    assert delta(before, after, RESENDS, surface="command", status="sent") == 2
    assert delta(before, after, RESENDS, surface="command", status="upstream_error") == 1
    assert delta(before, after, RESENDS, surface="command", status="refused_cooldown") == 1
    assert delta(before, after, RESENDS, surface="command", status="refused_not_allowed") == 1
    assert delta(before, after, KALEYRA, code="WA200", outcome="sent") == 2
    assert delta(before, after, KALEYRA, code="WA500", outcome="upstream_error") == 1
    assert delta(before, after, LATENCY_COUNT) == len(bot.kaleyra.requests) == 3
    assert delta(before, after, REFUSALS, reason="cooldown") == 1
    assert delta(before, after, REFUSALS, reason="not_allowed") == 1
    assert delta(before, after, FALLBACKS, via="response_url") == 1
    assert delta(before, after, FALLBACKS, via="channel") == 0


# -- several gunicorn workers -------------------------------------------------


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Callable[..., tuple[str, FakeKaleyra]]]:
    """`python -m bot serve` as deployed, against the fakes; stopped (with its workers) at the end."""
    with (
        FakeSlack() as slack,
        FakeKaleyra(sid=KALEYRA_SID, api_key=KALEYRA_API_KEY, wabas=(WABA,)) as kaleyra,
        ExitStack() as running,
    ):

        def serve(**env: str) -> tuple[str, FakeKaleyra]:
            database_url = f"sqlite:///{tmp_path / 'bot.db'}"
            engine = make_engine(database_url)
            upgrade(engine)
            with make_sessions(engine).begin() as session:
                wabas.add_waba(session, WABA, WABA_NAME)
                access.add_grant(session, ALICE, WABA, by="test")
            engine.dispose()
            environ = bot_environment(
                slack,
                kaleyra,
                database_url,
                port=free_port(),
                home=tmp_path,
                # The metrics directory `serve` makes for its workers lands here, not in /tmp.
                TMPDIR=str(tmp_path),
                OTP_COOLDOWN_SECONDS="0",
                LOG_LEVEL="WARNING",
                **env,
            )
            server = running.enter_context(ServeProcess.start(environ, tmp_path))
            server.wait_healthy()
            return server.url, kaleyra

        yield serve


def requests_per_worker(metrics_dir: Path, scratch: Path) -> dict[int, float]:
    """Slack requests each worker (by pid) counted, read from its own file in the multiprocess directory."""
    counts = {}
    for db in metrics_dir.glob("counter_*.db"):
        alone = scratch / db.stem
        alone.mkdir(parents=True, exist_ok=True)
        shutil.copy(db, alone / db.name)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=str(alone))
        pid = int(db.stem.removeprefix("counter_"))
        counts[pid] = sum(s.value for m in registry.collect() for s in m.samples if s.name == REQUESTS)
    return {pid: n for pid, n in counts.items() if n}


def send_commands(url: str, n: int) -> int:
    """`n` commands at once, each on a connection of its own (a kept-alive one stays with one worker)."""

    def post(signed: tuple[str, dict[str, str]]) -> httpx.Response:
        body, headers = signed
        return httpx.post(f"{url}/slack/events", content=body.encode(), headers=headers, timeout=10)

    with ThreadPoolExecutor(max_workers=n) as pool:
        responses = list(pool.map(post, [command("+91 98765 43210") for _ in range(n)]))
    assert [r.status_code for r in responses] == [200] * n
    return n


def test_metrics_add_up_across_gunicorn_workers(served: Callable[..., tuple[str, FakeKaleyra]], tmp_path: Path) -> None:
    url, kaleyra = served(WEB_CONCURRENCY="2", WEB_THREADS="4")
    (metrics_dir,) = tmp_path.glob("resend-otp-metrics-*")
    sent = send_commands(url, 8)
    busy = requests_per_worker(metrics_dir, tmp_path / "scratch")
    if len(busy) == 1:
        # The kernel gave every connection to one worker: pause it, so the other one must answer.
        (pid,) = busy
        os.kill(pid, signal.SIGSTOP)
        try:
            sent += send_commands(url, 8)
        finally:
            os.kill(pid, signal.SIGCONT)
    assert len(requests_per_worker(metrics_dir, tmp_path / "scratch")) == 2
    kaleyra.wait_for_requests(sent, timeout=15)

    # Every scrape, whichever worker answers it, shows every worker's counts.
    deadline = time.monotonic() + 10
    while True:
        scraped = parse_metrics(httpx.get(f"{url}/metrics", timeout=5).text)
        if sample(scraped, KALEYRA, code="WA200", outcome="sent") == sent or time.monotonic() > deadline:
            break
        time.sleep(0.05)  # the last calls are still being recorded by their workers
    for _ in range(6):
        scraped = parse_metrics(httpx.get(f"{url}/metrics", timeout=5).text)
        assert sample(scraped, REQUESTS, kind="command") == sent
        assert sample(scraped, RESENDS, surface="command", status="sent") == sent
        assert sample(scraped, KALEYRA, code="WA200", outcome="sent") == sent
        assert sample(scraped, LATENCY_COUNT) == sent
