"""`python -m bot check`, and the Slack checks `serve` and `socket` run before they start."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.check import describe_start
from bot.config import load_settings
from bot.store.db import make_engine, upgrade
from tests.fakes.kaleyra import FakeKaleyra
from tests.fakes.slack import MANIFEST_SCOPES, FakeSlack
from tests.serve_process import ServeProcess, bot_environment, free_port, run_cli
from tests.support import SLACK_BOT_TOKEN, WABA

APP_TOKEN = "xapp-1-A1-test-app-token"


@pytest.fixture
def fakes() -> Iterator[tuple[FakeSlack, FakeKaleyra]]:
    with FakeSlack() as slack, FakeKaleyra(wabas=(WABA,)) as kaleyra:
        yield slack, kaleyra


@pytest.fixture
def env(tmp_path: Path, fakes: tuple[FakeSlack, FakeKaleyra]) -> dict[str, str]:
    engine = make_engine(f"sqlite:///{tmp_path / 'resend_otp.db'}")
    upgrade(engine)
    engine.dispose()
    return bot_environment(*fakes, home=tmp_path)


def check(tmp_path: Path, env: dict[str, str], *args: str) -> tuple[int, dict[str, dict]]:
    done = run_cli(["check", "--json", *args], tmp_path, env)
    assert done.stderr == "", done.stderr
    return done.returncode, {c["check"]: c for c in json.loads(done.stdout)}


def test_a_working_setup_passes_every_check_and_never_calls_retry_otp(
    tmp_path: Path, env: dict[str, str], fakes: tuple[FakeSlack, FakeKaleyra]
) -> None:
    slack, kaleyra = fakes
    code, checks = check(tmp_path, env)

    assert code == 0, checks
    assert list(checks) == ["settings", "database", "slack", f"kaleyra {kaleyra.sid}"]
    assert all(c["ok"] for c in checks.values())
    assert "Test Team" in checks["slack"]["detail"] and "scopes match manifest.yml" in checks["slack"]["detail"]
    assert "at revision" in checks["database"]["detail"]
    assert [(r.method, r.path.endswith("retry_otp")) for r in kaleyra.requests] == [("GET", False)]

    text = run_cli(["check"], tmp_path, env)
    assert text.returncode == 0 and len(text.stdout.splitlines()) == 4
    assert all(line.startswith("ok ") for line in text.stdout.splitlines())


def test_a_token_slack_rejects_fails_the_check_with_slacks_code(
    tmp_path: Path, env: dict[str, str], fakes: tuple[FakeSlack, FakeKaleyra]
) -> None:
    fakes[0].reject_token(SLACK_BOT_TOKEN)
    code, checks = check(tmp_path, env)
    assert code == 1
    assert not checks["slack"]["ok"] and "invalid_auth" in checks["slack"]["detail"]
    assert checks["database"]["ok"]


def test_a_scope_the_manifest_asks_for_and_the_token_lacks_is_named(tmp_path: Path, env: dict[str, str]) -> None:
    with FakeSlack(scopes=tuple(s for s in MANIFEST_SCOPES if s != "usergroups:read")) as slack:
        code, checks = check(tmp_path, {**env, "SLACK_API_URL": slack.api_url})
    assert code == 1
    assert not checks["slack"]["ok"] and "lacks usergroups:read" in checks["slack"]["detail"]


def test_kaleyra_credentials_refused_and_an_unmigrated_database_fail(tmp_path: Path, env: dict[str, str]) -> None:
    (tmp_path / "empty").mkdir()
    env = {**env, "KALEYRA_API_KEY": "wrong", "DATABASE_URL": f"sqlite:///{tmp_path / 'empty' / 'x.db'}"}
    code, checks = check(tmp_path, env)
    assert code == 1
    (kaleyra,) = (c for name, c in checks.items() if name.startswith("kaleyra"))
    assert not kaleyra["ok"] and "RBC001" in kaleyra["detail"]
    assert not checks["database"]["ok"] and "x.db" in checks["database"]["detail"]
    assert "DATABASE_URL in the environment" in checks["database"]["detail"]


def test_the_socket_mode_token_is_checked_when_set(
    tmp_path: Path, env: dict[str, str], fakes: tuple[FakeSlack, FakeKaleyra]
) -> None:
    code, checks = check(tmp_path, {**env, "SLACK_APP_TOKEN": APP_TOKEN})
    assert code == 0 and checks["socket mode"]["ok"]
    fakes[0].reject_token(APP_TOKEN)
    code, checks = check(tmp_path, {**env, "SLACK_APP_TOKEN": APP_TOKEN})
    assert code == 1 and "invalid_auth" in checks["socket mode"]["detail"]


def start_refused(tmp_path: Path, env: dict[str, str], command: str) -> str:
    started = time.monotonic()
    done = run_cli([command], tmp_path, env, timeout=20)
    assert time.monotonic() - started < 10
    assert done.returncode == 1
    (line,) = done.stderr.splitlines()[-1:]
    assert "Traceback" not in done.stderr
    return line


@pytest.mark.parametrize("command", ["serve", "socket"])
def test_serve_and_socket_stop_in_one_line_on_a_refused_bot_token(
    tmp_path: Path, env: dict[str, str], fakes: tuple[FakeSlack, FakeKaleyra], command: str
) -> None:
    fakes[0].reject_token(SLACK_BOT_TOKEN)
    line = start_refused(tmp_path, {**env, "PORT": str(free_port()), "SLACK_APP_TOKEN": APP_TOKEN}, command)
    assert line.startswith("error: Slack refused SLACK_BOT_TOKEN (invalid_auth)")


def test_socket_with_a_bad_app_token_stops_in_one_line(
    tmp_path: Path, env: dict[str, str], fakes: tuple[FakeSlack, FakeKaleyra]
) -> None:
    assert "bot token" in start_refused(tmp_path, {**env, "SLACK_APP_TOKEN": "xoxb-not-an-app-token"}, "socket")
    fakes[0].reject_token(APP_TOKEN)
    line = start_refused(tmp_path, {**env, "SLACK_APP_TOKEN": APP_TOKEN}, "socket")
    assert line.startswith("error: Slack refused SLACK_APP_TOKEN (invalid_auth)")


def test_serve_says_what_is_running_in_one_line(tmp_path: Path, env: dict[str, str]) -> None:
    with ServeProcess.start({**env, "PORT": str(free_port()), "OTP_COOLDOWN_SECONDS": "90"}, tmp_path) as server:
        server.wait_healthy()
        (line,) = [line for line in server.output().splitlines() if "starting serve:" in line]
    assert "workspace Test Team (T1) as @resend-otp (UBOT)" in line
    assert f"database sqlite:///{tmp_path / 'resend_otp.db'}" in line
    assert "region in; dry run off; cooldown 90 s" in line


def test_the_start_line_hides_the_database_password() -> None:
    settings = load_settings({"DATABASE_URL": "postgres://bot:pa55word@db.internal/bot"}, dotenv=False)
    line = describe_start(settings, "socket", None)
    assert "pa55word" not in line and "postgresql+psycopg://bot:***@db.internal/bot" in line
    assert "workspace unknown" in line
