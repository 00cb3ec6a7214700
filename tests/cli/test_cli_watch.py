"""`watch add|remove|list`: the alert channels, as an operator manages them, audited."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.cli import main
from tests.cli.conftest import migrated_store

ALERTS = "C0ALERTS"
PRIVATE_ALERTS = "G0PRIVATE"


@pytest.fixture
def operator(
    workdir: Path, env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., tuple[int, str, str]]:
    """`python -m bot ARGS` in this process: (exit code, stdout, stderr)."""
    monkeypatch.chdir(workdir)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    migrated_store(workdir).dispose()

    def run(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_watch_add_list_remove_as_a_table_and_json_each_change_audited(
    operator: Callable[..., tuple[int, str, str]],
) -> None:
    assert operator("watch", "list")[1].startswith("no watched channels")
    for channel in (ALERTS, PRIVATE_ALERTS):
        code, out, _ = operator("watch", "add", channel)
        assert code == 0 and f"Watching channel {channel}" in out
    assert "watched already" in operator("watch", "add", ALERTS)[1]

    header, *lines = operator("watch", "list")[1].splitlines()
    assert header.split() == ["channel_id", "added_by", "added_at"]
    assert [line.split()[:2] for line in lines] == [[ALERTS, "cli:operator"], [PRIVATE_ALERTS, "cli:operator"]]
    rows = json.loads(operator("watch", "list", "--json")[1])
    assert [r["channel_id"] for r in rows] == [ALERTS, PRIVATE_ALERTS]

    assert operator("watch", "remove", ALERTS)[0] == 0
    assert [r["channel_id"] for r in json.loads(operator("watch", "list", "--json")[1])] == [PRIVATE_ALERTS]
    actions = json.loads(operator("audit", "--admin", "--json")[1])
    assert [(a["action"], a["detail"]) for a in reversed(actions)] == [
        ("watch_add", ALERTS),
        ("watch_add", PRIVATE_ALERTS),
        ("watch_remove", ALERTS),
    ]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("watch", "add", "#alerts"), "is not a Slack channel id"),
        (("watch", "add", "U0ALICE"), "is not a Slack channel id"),
        (("watch", "remove", ALERTS), "is not watched"),
    ],
)
def test_a_bad_or_unknown_channel_is_one_error_line_and_changes_nothing(
    operator: Callable[..., tuple[int, str, str]], args: tuple[str, ...], says: str
) -> None:
    code, out, err = operator(*args)
    assert code == 1 and out == ""
    assert err.startswith("error: ") and says in err and len(err.splitlines()) == 1
    assert json.loads(operator("watch", "list", "--json")[1]) == []
    assert json.loads(operator("audit", "--admin", "--json")[1]) == []
