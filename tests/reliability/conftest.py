"""What the reliability tests share: a barrier for the bot's own pools, the audit as stored,
a TCP relay that can cut the database off, and real `python -m bot serve` processes.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.store import access, wabas
from bot.store.db import make_engine, upgrade
from bot.store.models import Attempt
from tests import slack_requests
from tests.fakes.kaleyra import FakeKaleyra
from tests.fakes.slack import FakeSlack, SlackCall
from tests.slack import conftest as slack_conftest
from tests.slack.conftest import SlackBot
from tests.support import ALICE, ONCALL_GROUP, OTHER_WABA, OTHER_WABA_NAME, WABA, WABA_NAME

# The in-process bot fixtures, shared rather than copied: the real app against the fakes.
slack_fakes = slack_conftest.slack_fakes
bot_settings = slack_conftest.bot_settings
start_bot = slack_conftest.start_bot
bot = slack_conftest.bot

SLACK_BOT_TOKEN = "xoxb-test-token-0123456789"


def stored_attempts(sessions: sessionmaker[Session]) -> list[Attempt]:
    """Every audited attempt, oldest first."""
    with sessions() as session:
        return list(session.scalars(select(Attempt).order_by(Attempt.id)))


def said(call: SlackCall) -> str:
    """Everything a Slack call carried (text, blocks, views, errors) as one searchable string."""
    return json.dumps(call.params, ensure_ascii=False)


def timed_send(running: SlackBot, signed: tuple[str, dict[str, str]]) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    response = running.send(signed)
    return response, time.perf_counter() - started


def seed_store(database_url: str, users: tuple[str, ...] = ()) -> None:
    """Migrate and seed as tests/slack/conftest.py does, plus a grant on Acme for each of `users`."""
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        with sessionmaker(engine).begin() as session:
            wabas.add_waba(session, WABA, WABA_NAME)
            wabas.add_waba(session, OTHER_WABA, OTHER_WABA_NAME)
            for user in (ALICE, *users):
                access.add_grant(session, user, WABA, by="test")
            access.add_grant(session, ONCALL_GROUP, "*", by="test")
    finally:
        engine.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _hard_close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


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
            _hard_close(sock)

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
                _hard_close(client)
                continue
            client.settimeout(None)
            upstream.settimeout(None)
            with self._lock:
                self._open |= {client, upstream}
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            with self._lock:
                self._open -= {source, sink}
            _hard_close(source)
            _hard_close(sink)


@dataclass
class Server:
    """A real `python -m bot serve` (gunicorn after exec) in its own process group."""

    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_healthy(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"serve exited with {self.process.returncode}:\n{self.output()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"serve did not answer /healthz within {timeout}s:\n{self.output()}")

    def send(self, signed: tuple[str, dict[str, str]], timeout: float = 10.0) -> httpx.Response:
        body, headers = signed
        return slack_requests.post(f"{self.url}/slack/events", body, headers, timeout=timeout)

    def signal(self, signum: int) -> None:
        os.kill(self.process.pid, signum)

    def kill(self) -> None:
        """SIGKILL the master and its workers at once: nothing gets to clean up."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait(timeout=10)


def serve_environment(**settings: str) -> dict[str, str]:
    """Only what the test sets: never the developer's DATABASE_URL or tokens."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONUNBUFFERED": "1",
        "HOME": os.environ.get("HOME", "/"),
        **settings,
    }


def bot_environment(slack: FakeSlack, kaleyra: FakeKaleyra, database_url: str, **overrides: str) -> dict[str, str]:
    """The settings tests/slack/conftest.py gives the in-process bot, for a `serve` process."""
    return {
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": SLACK_BOT_TOKEN,
        "SLACK_SIGNING_SECRET": slack_requests.SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "KALEYRA_SID": kaleyra.sid,
        "KALEYRA_API_KEY": kaleyra.api_key,
        "KALEYRA_BASE_URL": kaleyra.base_url,
        "KALEYRA_TIMEOUT_SECONDS": "5",
        "OTP_COOLDOWN_SECONDS": "60",
        **overrides,
    }


def run_bot(args: list[str], cwd: Path, timeout: float = 30.0, **settings: str) -> subprocess.CompletedProcess[str]:
    """`python -m bot ARGS` to completion, in a directory with no .env."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=serve_environment(**settings),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def start_serve(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """Start `python -m bot serve` with these settings on a free port; every one is killed at the end."""
    started: list[Server] = []

    def start(**settings: Any) -> Server:
        port = free_port()
        log_path = tmp_path / f"serve-{port}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "bot", "serve"],
                cwd=tmp_path,
                env=serve_environment(PORT=str(port), **settings),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        server = Server(process, port, log_path)
        started.append(server)
        return server

    try:
        yield start
    finally:
        for server in started:
            server.kill()
