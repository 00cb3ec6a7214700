"""What the reliability tests share: a barrier for the bot's own pools, the audit as stored,
a TCP relay that can cut the database off, and real `python -m bot serve` processes.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.store.db import make_engine
from bot.store.models import Attempt
from tests import serve_process
from tests.fakes.kaleyra import FakeKaleyra
from tests.fakes.server import hard_close, pump
from tests.fakes.slack import FakeSlack, SlackCall
from tests.serve_process import ServeProcess, free_port
from tests.slack import conftest as slack_conftest
from tests.slack.conftest import SlackBot
from tests.support import TEST_TIMINGS

# The in-process bot fixtures, shared rather than copied: the real app against the fakes.
slack_fakes = slack_conftest.slack_fakes
bot_settings = slack_conftest.bot_settings
start_bot = slack_conftest.start_bot
bot = slack_conftest.bot


def stored_attempts(sessions: sessionmaker[Session]) -> list[Attempt]:
    """Every audited attempt, oldest first."""
    with sessions() as session:
        return list(session.scalars(select(Attempt).order_by(Attempt.id)))


def attempts_at(database_url: str) -> list[Attempt]:
    """Every audited attempt in the database at `database_url`, read on an engine of its own."""
    engine = make_engine(database_url)
    try:
        return stored_attempts(sessionmaker(engine))
    finally:
        engine.dispose()


def recorded_attempts_at(database_url: str, timeout: float = 15.0) -> list[Attempt]:
    """The audit once no attempt is `pending`: a served bot records an outcome just after posting it."""
    deadline = time.monotonic() + timeout
    while True:
        rows = attempts_at(database_url)
        if all(row.status != "pending" for row in rows) or time.monotonic() > deadline:
            return rows
        time.sleep(0.05)


def said(call: SlackCall) -> str:
    """Everything a Slack call carried (text, blocks, views, errors) as one searchable string."""
    return json.dumps(call.params, ensure_ascii=False)


def timed_send(running: SlackBot, signed: tuple[str, dict[str, str]]) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    response = running.send(signed)
    return response, time.perf_counter() - started


class TcpRelay:
    """A loopback TCP relay in front of a server that a test can cut (as if the server went away) and restore."""

    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._stop = threading.Event()
        self._listener: socket.socket | None = None
        self.port = 0

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        # Polling, because closing a socket does not wake a thread blocked in accept().
        listener.settimeout(0.05)
        self.port = listener.getsockname()[1]
        self._listener, self._stop = listener, threading.Event()
        threading.Thread(target=self._accept, args=(listener, self._stop), daemon=True).start()

    def cut(self) -> None:
        """Refuse new connections and break the open ones."""
        self._stop.set()
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        with self._lock:
            doomed, self._open = self._open, set()
        for sock in doomed:
            hard_close(sock)

    restore = start

    def _accept(self, listener: socket.socket, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                upstream = socket.create_connection(self._target, timeout=3)
            except OSError:
                hard_close(client)
                continue
            client.settimeout(None)
            upstream.settimeout(None)
            with self._lock:
                self._open |= {client, upstream}
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            pump(source, sink)
        finally:
            with self._lock:
                self._open -= {source, sink}


def bot_environment(slack: FakeSlack, kaleyra: FakeKaleyra, database_url: str, **overrides: str) -> dict[str, str]:
    """The settings tests/slack/conftest.py gives the in-process bot, for a `serve` process."""
    return serve_process.bot_environment(slack, kaleyra, database_url, **{**TEST_TIMINGS, **overrides})


@pytest.fixture
def start_serve(tmp_path: Path) -> Iterator[Callable[..., ServeProcess]]:
    """Start `python -m bot serve` with exactly this environment on a free port; every one is killed at the end."""
    with ExitStack() as started:

        def start(**environment: str) -> ServeProcess:
            server = ServeProcess.start({**environment, "PORT": str(free_port())}, tmp_path)
            started.callback(server.kill)
            return server

        yield start
