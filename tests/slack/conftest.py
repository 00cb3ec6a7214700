"""The real Bolt app behind a real threaded HTTP server on 127.0.0.1, against FakeSlack and FakeKaleyra.

Requests are signed as Slack signs them; what the bot does is read off the fakes and the store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future, wait
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from itertools import count
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.config import Settings, load_settings
from bot.runtime import Runtime, build_runtime
from bot.serving import build_edge
from bot.slack.deps import SlackDeps
from bot.store import wabas
from bot.store.db import make_engine, upgrade
from bot.store.models import Attempt, utcnow
from tests import serve_process, slack_requests
from tests.asgi_server import InThreadServer
from tests.conftest import seed
from tests.fakes.kaleyra import FakeKaleyra
from tests.fakes.slack import FakeSlack
from tests.support import KALEYRA_API_KEY, KALEYRA_SID, ONCALL_GROUP, OTHER_WABA, TEST_TIMINGS, WABA


@dataclass
class SlackBot:
    """A running bot and the fakes around it."""

    url: str
    slack: FakeSlack
    kaleyra: FakeKaleyra
    runtime: Runtime
    deps: SlackDeps
    submitted: list[Future[Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        # settle() must wait for the work itself: a no-op submitted to a pool of many threads
        # runs at once beside work still in flight.
        for pool in (self.deps.quick, self.deps.resends):
            pool.submit = self._tracking(pool.submit)  # type: ignore[method-assign]

    def _tracking(self, submit: Callable[..., Future[Any]]) -> Callable[..., Future[Any]]:
        def tracked(work: Callable[..., Any], *args: Any) -> Future[Any]:
            future = submit(work, *args)
            self.submitted.append(future)
            return future

        return tracked

    def send(self, signed: tuple[str, dict[str, str]]) -> httpx.Response:
        """POST a signed request (from tests.slack_requests) to /slack/events."""
        body, headers = signed
        return slack_requests.post(f"{self.url}/slack/events", body, headers)

    def settle(self, timeout: float = 30.0) -> None:
        """Wait for all background work (Kaleyra calls, deliveries) submitted so far, and what it submits."""
        waited = 0
        while waited < len(self.submitted):
            pending = self.submitted[waited:]
            _, not_done = wait(pending, timeout=timeout)
            assert not not_done, f"{len(not_done)} background task(s) still running after {timeout}s"
            waited += len(pending)


@pytest.fixture
def slack_fakes() -> Iterator[tuple[FakeSlack, FakeKaleyra]]:
    with (
        FakeSlack(usergroups={ONCALL_GROUP: ["U0BOB"]}) as slack,
        FakeKaleyra(sid=KALEYRA_SID, api_key=KALEYRA_API_KEY, wabas=(WABA, OTHER_WABA)) as kaleyra,
    ):
        yield slack, kaleyra


@pytest.fixture
def bot_settings(tmp_path: Path, slack_fakes: tuple[FakeSlack, FakeKaleyra]) -> Callable[..., Settings]:
    slack, kaleyra = slack_fakes
    base = serve_process.bot_settings(slack, kaleyra, f"sqlite:///{tmp_path / 'bot.db'}", **TEST_TIMINGS)
    return lambda **overrides: load_settings({**base, **overrides}, dotenv=False)


@pytest.fixture
def start_bot(
    bot_settings: Callable[..., Settings], slack_fakes: tuple[FakeSlack, FakeKaleyra]
) -> Iterator[Callable[..., SlackBot]]:
    """Start a bot with env overrides (and a clock); seeded with two WABAs, Alice granted Acme, on-call every WABA."""
    slack, kaleyra = slack_fakes
    running: list[SlackBot] = []
    servers = ExitStack()

    def start(clock: Callable[[], datetime] = utcnow, **overrides: str) -> SlackBot:
        settings = bot_settings(**overrides)
        engine = make_engine(settings.database_url)
        upgrade(engine)
        engine.dispose()
        runtime = build_runtime(settings, clock=clock)
        with runtime.sessions.begin() as session:
            if wabas.get_waba(session, WABA) is None:
                seed(session)
        edge, deps = build_edge(runtime)
        server = servers.enter_context(InThreadServer(edge))
        bot = SlackBot(server.url, slack, kaleyra, runtime, deps)
        running.append(bot)
        return bot

    yield start
    kaleyra.release_hung()
    # Stopping a server drains its resends and closes its runtime, as a worker's shutdown does.
    servers.close()


@pytest.fixture
def bot(start_bot: Callable[..., SlackBot]) -> SlackBot:
    return start_bot()


_triggers = count(1)


def open_modal(bot: SlackBot, user_id: str, **command: Any) -> dict[str, Any]:
    """Run `/resend-otp` with no text as `user_id`; the view the bot opened with views.open."""
    trigger_id = f"{next(_triggers)}.modal.{user_id}"
    response = bot.send(slack_requests.slash_command("", user_id=user_id, trigger_id=trigger_id, **command))
    assert response.status_code == 200 and not response.content
    (call,) = bot.slack.wait_for("views.open", where=lambda c: c.params.get("trigger_id") == trigger_id)
    view: dict[str, Any] = call.params["view"]
    return view


def waba_options(view: dict[str, Any]) -> list[str]:
    """The WABA ids the modal's select offers."""
    (block,) = [b for b in view["blocks"] if b.get("block_id") == "waba_id"]
    return [option["value"] for option in block["element"]["options"]]


def attempts(bot: SlackBot) -> list[Attempt]:
    """Every audited attempt, oldest first."""
    with bot.runtime.sessions() as session:
        return list(session.scalars(select(Attempt).order_by(Attempt.id)))
