"""The Slack-surface bot fixtures, plus what operating it needs: its log lines and its /metrics."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.config import Settings
from bot.logs import setup_logging
from bot.metrics import metrics_app
from tests.asgi_server import InThreadServer
from tests.slack import conftest as slack_conftest

# The Slack surface's fixtures, shared rather than copied: the real app against the fakes.
slack_fakes = slack_conftest.slack_fakes
bot_settings = slack_conftest.bot_settings
start_bot = slack_conftest.start_bot
bot = slack_conftest.bot

# Loggers setup_logging quietens; their levels are process-wide, so each test gets them back.
_TOUCHED = ("", "slack_sdk", "slack_bolt", "httpx", "httpcore", "sqlalchemy", "alembic")


@dataclass
class LogLines:
    """What the bot wrote through its own log handler (formatter and secret filter included)."""

    stream: io.StringIO

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.text.splitlines() if line.strip()]

    def events(self, event: str) -> list[dict[str, Any]]:
        return [r for r in self.records() if r.get("event") == event]


@pytest.fixture
def capture_logs(bot_settings: Callable[..., Settings]) -> Iterator[Callable[..., LogLines]]:
    """`capture_logs(**env)`: run the bot's own setup_logging for those settings, into a buffer."""
    saved = {name: logging.getLogger(name).level for name in _TOUCHED}
    saved_handlers = logging.getLogger().handlers[:]

    def capture(**env: str) -> LogLines:
        setup_logging(bot_settings(**env))
        (handler,) = logging.getLogger().handlers
        assert isinstance(handler, logging.StreamHandler)
        stream = io.StringIO()
        handler.setStream(stream)
        return LogLines(stream)

    yield capture
    logging.getLogger().handlers[:] = saved_handlers
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse_metrics(text: str) -> Samples:
    """Every sample of a Prometheus text page, keyed by (sample name, labels)."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def sample(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def metrics_url() -> Iterator[str]:
    """This process's /metrics (bot.metrics.metrics_app, as bot.web mounts it) on a loopback server."""
    with InThreadServer(metrics_app(), lifespan="off") as server:
        yield f"{server.url}/metrics"


def scrape(url: str) -> Samples:
    response = httpx.get(url, timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return parse_metrics(response.text)
