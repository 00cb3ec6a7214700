"""What the CLI prints: tables with headers, JSON on every list, audit filters, help, database errors."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.cli import main
from bot.cli_args import build_parser
from tests.cli.conftest import bot, migrated_store, one_error_line
from tests.fakes.kaleyra import unused_port
from tests.support import ALICE, BOB, ONCALL_GROUP, OTHER_WABA, PHONE, PHONE_NUMBER_ID, WABA, WABA_NAME


def run_ok(workdir: Path, env: dict[str, str], *args: str) -> str:
    done = bot(workdir, env, *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def operator(
    workdir: Path, env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., str]:
    """`python -m bot ARGS` in this process (a new interpreter per command is seconds on a busy machine)."""
    monkeypatch.chdir(workdir)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    migrated_store(workdir).dispose()

    def run(*args: str, **extra_env: str) -> str:
        with monkeypatch.context() as scoped:
            for name, value in extra_env.items():
                scoped.setenv(name, value)
            code = main(list(args))
        out, err = capsys.readouterr()
        assert code == 0, err
        return out

    return run


def test_the_cli_from_a_subdirectory_uses_the_projects_env_and_database(workdir: Path, env: dict[str, str]) -> None:
    (workdir / ".env").write_text("OTP_COOLDOWN_SECONDS=60\n")
    below = workdir / "docs" / "notes"
    below.mkdir(parents=True)

    upgraded = run_ok(workdir, env, "db", "upgrade")
    assert upgraded.startswith(f"migrated sqlite:///{workdir / 'resend_otp.db'} (the default")
    assert "from empty to revision" in upgraded
    again = run_ok(below, env, "db", "upgrade")
    assert "already at revision" in again and str(workdir / "resend_otp.db") in again

    run_ok(below, env, "waba", "add", WABA, "--name", WABA_NAME)
    assert WABA_NAME in run_ok(workdir, env, "waba", "list")
    assert not (below / "resend_otp.db").exists()


def test_database_errors_name_the_database_and_where_its_url_came_from(workdir: Path, env: dict[str, str]) -> None:
    port = unused_port()
    env = {**env, "DATABASE_URL": f"postgresql://bot:pa55word@127.0.0.1:{port}/bot"}
    line = one_error_line(bot(workdir, env, "waba", "list"))
    assert f"postgresql+psycopg://bot:***@127.0.0.1:{port}/bot" in line
    assert "from DATABASE_URL in the environment" in line and "pa55word" not in line

    missing_dir = workdir / "no" / "such" / "dir"
    line = one_error_line(bot(workdir, {**env, "DATABASE_URL": f"sqlite:///{missing_dir}/bot.db"}, "db", "upgrade"))
    assert f"cannot create the SQLite file {missing_dir}/bot.db" in line and "does not exist" in line
    assert not missing_dir.exists()


def test_lists_are_tables_with_headers_and_json(operator: Callable[..., str]) -> None:
    operator("waba", "add", WABA, "--name", WABA_NAME)
    operator("waba", "add", OTHER_WABA, "--name", "Beta Foods", "--sid", "HXBETA00EU", "--region", "eu")
    for args in (("grant", ALICE, WABA), ("grant", BOB, OTHER_WABA), ("grant", ONCALL_GROUP, "*")):
        operator(*args)
    operator("admin", "add", BOB)
    operator("waba", "remove", OTHER_WABA)

    header, *rows = operator("waba", "list").splitlines()
    assert header.split() == ["waba_id", "name", "kaleyra_sid", "region"]
    assert len(rows) == 1 and rows[0].split()[0] == WABA

    table = operator("grants").splitlines()
    assert table[0].split()[:3] == ["principal", "waba_id", "waba_name"]
    # Columns line up: every row's WABA id starts where the header's does.
    column = table[0].index("waba_id")
    assert all(line[column:].split()[0] in (WABA, OTHER_WABA, "*") for line in table[1:])
    grants = json.loads(operator("grants", "--json"))
    names = {g["principal"]: g["waba_name"] for g in grants}
    assert names[ALICE] == WABA_NAME and names[ONCALL_GROUP] == "every WABA"
    assert names[BOB].startswith("(removed WABA")

    admins = json.loads(operator("admins", "--json", ADMIN_USER_IDS="U0ROOT"))
    assert [(a["user"], a["source"]) for a in admins] == [(BOB, "admin add"), ("U0ROOT", "ADMIN_USER_IDS")]
    assert json.loads(operator("waba", "list", "--json"))[0]["waba_id"] == WABA
    assert json.loads(operator("audit", "--json")) == []


def test_audit_filters_by_waba_user_phone_and_time(operator: Callable[..., str]) -> None:
    for args in (
        ("waba", "add", WABA, "--name", WABA_NAME),
        ("waba", "add", OTHER_WABA, "--name", "Beta Foods"),
        ("grant", ALICE, "*"),
        ("grant", BOB, "*"),
    ):
        operator(*args)
    retry = ("retry", "--phone-number-id", PHONE_NUMBER_ID)
    operator(*retry, "--as", ALICE, "--waba", WABA, "--phone", PHONE)
    operator(*retry, "--as", BOB, "--waba", OTHER_WABA, "--phone", "+44 20 7946 0958")

    def audited(*args: str) -> list[tuple[str, str]]:
        return [(r["user"], r["waba_id"]) for r in json.loads(operator("audit", "--json", *args))]

    assert audited("--waba", WABA) == [(ALICE, WABA)]
    assert audited("--user", BOB) == [(BOB, OTHER_WABA)]
    assert audited("--phone", "+91 98765 43210") == [(ALICE, WABA)]
    assert audited("--since", "1h") == [(BOB, OTHER_WABA), (ALICE, WABA)]
    assert audited("--since", "2999-01-01") == []
    assert [a["action"] for a in json.loads(operator("audit", "--admin", "--json", "--since", "1d"))] == [
        "grant",
        "grant",
        "waba_add",
        "waba_add",
    ]
    header, *_ = operator("audit", "--admin").splitlines()
    assert header.split() == ["at", "actor", "action", "detail"]


def _parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found += _parsers(sub)
    return found


def test_every_command_has_an_example_and_every_option_says_what_it_does() -> None:
    for parser in _parsers(build_parser()):
        assert "examples:" in (parser.epilog or ""), parser.prog
        for action in parser._actions:
            if not isinstance(action, argparse._SubParsersAction):
                assert action.help, f"{parser.prog} {action.dest}"
    assert "store" not in build_parser().format_help()
