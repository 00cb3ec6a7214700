"""`python -m bot serve` as an operator runs it: migrated, seeded with the CLI, started, found and stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg

from tests.conftest import POSTGRES_DSN, POSTGRES_URL
from tests.fakes.kaleyra import FakeKaleyra, unused_port
from tests.fakes.slack import FakeSlack
from tests.slack_requests import SIGNING_SECRET
from tests.support import ALICE, ONCALL_GROUP, WABA, WABA_NAME

CLI_TIMEOUT_SECONDS = 60
HEALTHY_TIMEOUT_SECONDS = 30
STOP_TIMEOUT_SECONDS = 15


@contextmanager
def postgres_url() -> Iterator[str]:
    """A fresh schema in the `test` database, dropped afterwards."""
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_DSN, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
        try:
            yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
        finally:
            admin.execute("SET lock_timeout = '10s'")
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


def bot_env(database_url: str, slack: FakeSlack, kaleyra: FakeKaleyra, port: int) -> dict[str, str]:
    """The operator's environment (WEB_CONCURRENCY, LOG_LEVEL… pass through) pointed at the fakes."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": "xoxb-bench-token-0123456789",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "KALEYRA_SID": kaleyra.sid,
        "KALEYRA_API_KEY": kaleyra.api_key,
        "KALEYRA_BASE_URL": kaleyra.base_url,
        "PORT": str(port),
    }


def run_cli(env: dict[str, str], cwd: Path, *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_SECONDS,
    )
    if done.returncode != 0:
        raise RuntimeError(f"`python -m bot {' '.join(args)}` failed: {done.stderr.strip()}")


def prepare(env: dict[str, str], cwd: Path) -> None:
    """Migrate and seed exactly as the README tells an operator to."""
    run_cli(env, cwd, "db", "upgrade")
    run_cli(env, cwd, "waba", "add", WABA, "--name", WABA_NAME)
    run_cli(env, cwd, "grant", ALICE, WABA)
    # A group grant too, so every request also resolves the user's groups (cached from Slack).
    run_cli(env, cwd, "grant", ONCALL_GROUP, "*")


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    started_at: float
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_healthy(self) -> float:
        """Seconds from spawning the process to the first 200 on /healthz."""
        deadline = self.started_at + HEALTHY_TIMEOUT_SECONDS
        with httpx.Client(timeout=1.0) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"serve exited with {self.process.returncode}; see {self.log_path}")
                try:
                    if client.get(f"{self.url}/healthz").status_code == 200:
                        return time.monotonic() - self.started_at
                except httpx.TransportError:
                    pass
                time.sleep(0.005)
        raise RuntimeError(f"serve not healthy after {HEALTHY_TIMEOUT_SECONDS} s; see {self.log_path}")

    def pids(self) -> list[int]:
        """gunicorn's master (the process we spawned, exec'd in place) and its descendants."""
        return [self.process.pid, *_descendants(self.process.pid)]

    def memory(self) -> tuple[int, int]:
        """(RSS, PSS) in bytes summed over the serving processes; PSS counts shared pages once."""
        rss = pss = 0
        for pid in self.pids():
            rss += _status_kb(pid, "VmRSS") * 1024
            pss += _rollup_kb(pid, "Pss") * 1024
        return rss, pss

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by the serving processes, the CLI before its exec included."""
        ticks = 0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        """SIGTERM the process group (gunicorn drains), SIGKILL it if that takes too long."""
        if self.process.poll() is not None:
            return
        group = os.getpgid(self.process.pid)
        os.killpg(group, signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(group, signal.SIGKILL)
            self.process.wait(timeout=5)


def start(env: dict[str, str], cwd: Path) -> Server:
    port = int(env["PORT"])
    log_path = cwd / "serve.log"
    with log_path.open("wb") as log:
        started_at = time.monotonic()
        # A session of its own, so stopping it reaches gunicorn's workers and nothing else.
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve"],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Server(process, started_at, port, log_path)


def free_port() -> int:
    return unused_port()


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


def _status_kb(pid: int, key: str) -> int:
    return _field_kb(Path(f"/proc/{pid}/status"), key)


def _rollup_kb(pid: int, key: str) -> int:
    return _field_kb(Path(f"/proc/{pid}/smaps_rollup"), key)


def _field_kb(path: Path, key: str) -> int:
    try:
        for line in path.read_text().splitlines():
            if line.startswith(f"{key}:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0
