"""Real `python -m bot` processes: the environment they get, a CLI command run to completion, and
`serve` (gunicorn once it execs) started, health-checked, signalled and stopped with its workers.

Shared by the tests that need the real process (e2e, ops, reliability) and by bench/.
"""

from __future__ import annotations

import os
import signal as signals
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import httpx

from tests import slack_requests
from tests.fakes.kaleyra import FakeKaleyra, unused_port
from tests.fakes.slack import FakeSlack
from tests.support import KALEYRA_API_KEY, KALEYRA_SID, SLACK_BOT_TOKEN


def free_port() -> int:
    """A loopback port nothing listens on, for `serve` to bind."""
    return unused_port()


def bot_settings(
    slack: FakeSlack | None = None,
    kaleyra: FakeKaleyra | None = None,
    database_url: str | None = None,
    **overrides: str,
) -> dict[str, str]:
    """The bot's own settings: the four credentials, the fakes' URLs and DATABASE_URL when given, then `overrides`."""
    settings = {
        "SLACK_BOT_TOKEN": SLACK_BOT_TOKEN,
        "SLACK_SIGNING_SECRET": slack_requests.SIGNING_SECRET,
        "KALEYRA_SID": KALEYRA_SID,
        "KALEYRA_API_KEY": KALEYRA_API_KEY,
    }
    if slack is not None:
        settings["SLACK_API_URL"] = slack.api_url
    if kaleyra is not None:
        settings |= {
            "KALEYRA_SID": kaleyra.sid,
            "KALEYRA_API_KEY": kaleyra.api_key,
            "KALEYRA_BASE_URL": kaleyra.base_url,
        }
    if database_url is not None:
        settings["DATABASE_URL"] = database_url
    return settings | overrides


def process_basics(home: Path | None = None) -> dict[str, str]:
    """PATH and HOME only: never the developer's DATABASE_URL or tokens, which would hide a missing setting."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home) if home is not None else os.environ.get("HOME", "/"),
        # Log lines reach the log file as they are written, not when a buffer fills.
        "PYTHONUNBUFFERED": "1",
    }


def bot_environment(
    slack: FakeSlack | None = None,
    kaleyra: FakeKaleyra | None = None,
    database_url: str | None = None,
    *,
    port: int | None = None,
    home: Path | None = None,
    inherit: bool = False,
    **overrides: str,
) -> dict[str, str]:
    """A `python -m bot` process's environment: `bot_settings` and PORT over `process_basics`.

    `inherit` starts from this process's whole environment instead, as an operator's shell would
    (bench: WEB_CONCURRENCY, LOG_LEVEL… pass through).
    """
    base = dict(os.environ) if inherit else process_basics(home)
    if port is not None:
        base["PORT"] = str(port)
    return base | bot_settings(slack, kaleyra, database_url, **overrides)


def run_cli(
    args: Sequence[str],
    cwd: Path,
    env: Mapping[str, str] | None = None,
    *,
    timeout: float = 30.0,
    **settings: str,
) -> subprocess.CompletedProcess[str]:
    """`python -m bot ARGS` to completion in `cwd`: `env` (else `process_basics()`) plus `settings`."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env={**(process_basics() if env is None else env), **settings},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@dataclass
class ServeProcess:
    """A real `python -m bot serve` in a session of its own, everything it writes in `log_path`."""

    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    started_at: float
    # Where to reach it: its HOST when that is one address, else loopback.
    host: str = "127.0.0.1"
    _ended: bool = field(default=False, repr=False)

    @classmethod
    def start(
        cls, env: Mapping[str, str], cwd: Path, log_path: Path | None = None, command: Sequence[str] | None = None
    ) -> ServeProcess:
        """Spawn `serve` in `cwd` with exactly `env` (its PORT included); returns at once.

        `command` starts another server in its place (bench's plain Bolt peer)."""
        port = int(env["PORT"])
        log_path = log_path or cwd / f"serve-{port}.log"
        with log_path.open("wb") as log:
            started_at = time.monotonic()
            # A session of its own, so signalling its group reaches gunicorn's workers and nothing else.
            process = subprocess.Popen(
                list(command or [sys.executable, "-m", "bot", "serve"]),
                cwd=cwd,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        host = env.get("HOST", "") if env.get("HOST", "") not in ("", "0.0.0.0") else "127.0.0.1"
        return cls(process, port, log_path, started_at, host)

    def __enter__(self) -> ServeProcess:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_healthy(self, timeout: float = 20.0) -> float:
        """Seconds from spawning the process to its first 200 on /healthz."""
        return self._poll_health(timeout, lambda response: response.status_code == 200)[1]

    def wait_answering(self, timeout: float = 20.0) -> httpx.Response:
        """The first answer /healthz gives, whatever its status."""
        return self._poll_health(timeout, lambda response: True)[0]

    def _poll_health(self, timeout: float, enough: Callable[[httpx.Response], bool]) -> tuple[httpx.Response, float]:
        deadline = self.started_at + timeout
        with httpx.Client(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise AssertionError(f"serve exited with {self.process.returncode}:\n{self.output()}")
                try:
                    response = client.get(f"{self.url}/healthz")
                    if enough(response):
                        return response, time.monotonic() - self.started_at
                except httpx.TransportError:
                    pass
                # A process that is starting has nothing to wait on but its port; short, as bench times this.
                time.sleep(0.005)
        raise AssertionError(f"serve did not answer /healthz within {timeout} s:\n{self.output()}")

    def send(self, signed: tuple[str, dict[str, str]], timeout: float = 10.0) -> httpx.Response:
        """POST a signed request (from tests.slack_requests) to /slack/events."""
        body, headers = signed
        return slack_requests.post(f"{self.url}/slack/events", body, headers, timeout=timeout)

    def signal(self, signum: int) -> None:
        """To gunicorn's master alone: what it does with its workers is what is under test."""
        os.kill(self.process.pid, signum)

    def stop(self, grace: float = 15.0) -> None:
        """SIGTERM the group (gunicorn drains), then SIGKILL whatever is left; again, nothing."""
        if self._ended:
            return
        self._ended = True
        if self.process.poll() is None:
            self._signal_group(signals.SIGTERM)
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                pass
        # Workers too, whatever the master did: one that outlived it is still in the group.
        self._signal_group(signals.SIGKILL)
        self.process.wait(timeout=5)

    def kill(self) -> None:
        """SIGKILL the master and its workers at once: nothing gets to clean up."""
        if self._ended:
            return
        self._ended = True
        self._signal_group(signals.SIGKILL)
        self.process.wait(timeout=10)

    def _signal_group(self, signum: int) -> None:
        try:
            os.killpg(self.process.pid, signum)
        except ProcessLookupError:
            pass

    def pids(self) -> list[int]:
        """gunicorn's master (the process spawned, exec'd in place) and its descendants."""
        return [self.process.pid, *_descendants(self.process.pid)]


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # exited while we looked
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found
