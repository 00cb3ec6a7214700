"""`python -m bot serve` as production runs it: its own process, the SQLite default, four settings."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests import slack_requests
from tests.fakes.kaleyra import unused_port

STARTUP_DEADLINE_SECONDS = 15.0


@dataclass(frozen=True)
class Served:
    url: str
    started_at: float
    log: Path


def minimal_env(workdir: Path, port: int) -> dict[str, str]:
    # Nothing inherited but PATH: a stray DATABASE_URL or SLACK_API_URL would hide a missing default.
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(workdir),
        "SLACK_BOT_TOKEN": "xoxb-e2e-0123456789",
        "SLACK_SIGNING_SECRET": slack_requests.SIGNING_SECRET,
        "KALEYRA_SID": "HXAP16E2E00IN",
        "KALEYRA_API_KEY": "kaleyra-e2e-key",
        "PORT": str(port),
    }


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's process group (gunicorn and its workers), SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    for signum, grace in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, signum)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    port = unused_port()
    env = minimal_env(tmp_path, port)
    upgrade = subprocess.run(
        [sys.executable, "-m", "bot", "db", "upgrade"], cwd=tmp_path, env=env, capture_output=True, timeout=60
    )
    assert upgrade.returncode == 0, upgrade.stderr.decode()
    assert (tmp_path / "resend_otp.db").exists()

    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        started_at = time.monotonic()
        # Its own session, so the whole group (gunicorn's master and workers) can be stopped by its id.
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve"],
            cwd=tmp_path,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield Served(f"http://127.0.0.1:{port}", started_at, log)
    finally:
        stop(process)


def wait_for_health(served: Served) -> httpx.Response:
    deadline = served.started_at + STARTUP_DEADLINE_SECONDS
    while time.monotonic() < deadline:
        try:
            return httpx.get(f"{served.url}/healthz", timeout=2)
        except httpx.TransportError:
            time.sleep(0.05)  # nothing to wait on but the port opening
    pytest.fail(f"serve did not answer within {STARTUP_DEADLINE_SECONDS}s:\n{served.log.read_text()}")


def test_serve_starts_with_only_the_four_credentials_and_answers_slack(served: Served) -> None:
    health = wait_for_health(served)
    assert health.status_code == 200, served.log.read_text()

    body, headers = slack_requests.slash_command("help", user_id="U0ALICE")
    ack = slack_requests.post(f"{served.url}/slack/events", body, headers)
    assert ack.status_code == 200, served.log.read_text()
    assert "/resend-otp WABA_ID PHONE_NUMBER_ID" in ack.json()["blocks"][0]["text"]["text"]

    forged, forged_headers = slack_requests.slash_command("help", user_id="U0ALICE", secret="wrong")
    assert slack_requests.post(f"{served.url}/slack/events", forged, forged_headers).status_code == 401

    log = served.log.read_text()
    assert "kaleyra-e2e-key" not in log and slack_requests.SIGNING_SECRET not in log and "xoxb-e2e" not in log
