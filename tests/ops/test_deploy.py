"""The Procfile as a platform runs it: the release phase migrates a managed PostgreSQL's own URL."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect

ROOT = Path(__file__).resolve().parents[2]


def procfile() -> dict[str, list[str]]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return {kind.strip(): shlex.split(command) for kind, command in (line.split(":", 1) for line in lines if line)}


def test_procfile_releases_with_migrations_and_serves_the_web() -> None:
    assert procfile() == {
        "release": ["python", "-m", "bot", "db", "upgrade"],
        "web": ["python", "-m", "bot", "serve"],
    }


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("scheme", ["postgres", "postgresql", "postgresql+psycopg"])
def test_release_phase_migrates_the_url_a_managed_postgresql_hands_out(
    tmp_path: Path, database_url: str, engines: Callable[[], Engine], scheme: str
) -> None:
    # Heroku's DATABASE_URL says postgres://, which SQLAlchemy alone refuses.
    as_handed_out = scheme + database_url.removeprefix("postgresql+psycopg")
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "DATABASE_URL": as_handed_out}
    release = procfile()["release"]
    done = subprocess.run(
        [sys.executable, *release[1:]], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("migrated postgresql+psycopg://")
    assert "(DATABASE_URL in the environment) from empty to revision" in done.stdout
    assert {"wabas", "grants", "cooldown_claims", "attempts"} <= set(inspect(engines()).get_table_names())
