"""`python -m bot serve` as production runs it: its own process, the SQLite default, four settings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests import slack_requests
from tests.serve_process import ServeProcess, bot_environment, free_port, run_cli

STARTUP_DEADLINE_SECONDS = 15.0


@pytest.fixture
def served(tmp_path: Path) -> Iterator[ServeProcess]:
    # Nothing inherited but PATH: a stray DATABASE_URL or SLACK_API_URL would hide a missing default.
    env = bot_environment(
        home=tmp_path,
        port=free_port(),
        SLACK_BOT_TOKEN="xoxb-e2e-0123456789",
        KALEYRA_SID="HXAP16E2E00IN",
        KALEYRA_API_KEY="kaleyra-e2e-key",
    )
    upgrade = run_cli(["db", "upgrade"], tmp_path, env)
    assert upgrade.returncode == 0, upgrade.stderr
    assert (tmp_path / "resend_otp.db").exists()
    with ServeProcess.start(env, tmp_path) as server:
        yield server


def test_serve_starts_with_only_the_four_credentials_and_answers_slack(served: ServeProcess) -> None:
    health = served.wait_answering(STARTUP_DEADLINE_SECONDS)
    assert health.status_code == 200, served.output()

    body, headers = slack_requests.slash_command("help", user_id="U0ALICE")
    ack = slack_requests.post(f"{served.url}/slack/events", body, headers)
    assert ack.status_code == 200, served.output()
    assert "/resend-otp WABA_ID PHONE_NUMBER_ID" in ack.json()["blocks"][0]["text"]["text"]

    forged, forged_headers = slack_requests.slash_command("help", user_id="U0ALICE", secret="wrong")
    assert slack_requests.post(f"{served.url}/slack/events", forged, forged_headers).status_code == 401

    log = served.output()
    # No SLACK_API_URL and no internet here: Slack cannot be asked about the token, which is a
    # warning, not a reason to stay down.
    assert log.count("cannot reach Slack") == 1 and "starting serve: workspace unknown" in log
    assert "kaleyra-e2e-key" not in log and slack_requests.SIGNING_SECRET not in log and "xoxb-e2e" not in log


def test_serve_listens_only_on_host(tmp_path: Path) -> None:
    port = free_port()
    env = bot_environment(
        home=tmp_path,
        port=port,
        HOST="127.0.0.2",
        SLACK_BOT_TOKEN="xoxb-e2e-0123456789",
        KALEYRA_SID="HXAP16E2E00IN",
        KALEYRA_API_KEY="kaleyra-e2e-key",
    )
    assert run_cli(["db", "upgrade"], tmp_path, env).returncode == 0
    with ServeProcess.start(env, tmp_path) as server:
        assert server.wait_answering(STARTUP_DEADLINE_SECONDS).status_code == 200, server.output()
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
