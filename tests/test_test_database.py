"""The PostgreSQL half of the suite: TEST_DATABASE_URL, left out in one line when down, required in CI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import postgres_unavailable

ROOT = Path(__file__).resolve().parents[1]
TARGET = "tests/store/test_access.py"


def run_suite(tmp_path: Path, *, unreachable: bool, **env: str) -> subprocess.CompletedProcess[str]:
    plugin = tmp_path / "unreachable_postgres.py"
    # Nothing answers on port 1: the default PostgreSQL as it is on a machine without one.
    plugin.write_text(
        "import tests.conftest as c\nc.POSTGRES_DSN = c.POSTGRES_SHOWN = 'postgresql://postgres@127.0.0.1:1/test'\n"
    )
    base = {k: v for k, v in os.environ.items() if k not in ("CI", "TEST_DATABASE_URL")}
    base["PYTHONPATH"] = str(tmp_path)
    plugin_args = ["-p", "unreachable_postgres"] if unreachable else []
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *plugin_args, TARGET],
        cwd=ROOT,
        env=base | env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_missing_postgresql_is_said_once_and_fails_the_run_in_ci(tmp_path: Path) -> None:
    local = run_suite(tmp_path, unreachable=True)
    assert local.returncode == 0, local.stdout
    (said,) = [line for line in local.stdout.splitlines() if "PostgreSQL tests NOT RUN" in line]
    assert "127.0.0.1:1" in said and "TEST_DATABASE_URL" in said
    assert "deselected" in local.stdout.splitlines()[-1]

    ci = run_suite(tmp_path, unreachable=True, CI="true")
    assert ci.returncode == 1 and "NOT RUN" not in ci.stdout
    assert "start it (.ci/run does)" in ci.stdout


def test_test_database_url_points_the_postgresql_tests_elsewhere(tmp_path: Path) -> None:
    if postgres_unavailable() is not None:
        pytest.skip("needs the default PostgreSQL to stand in for 'elsewhere'")
    # Another spelling of the same server, as a provider hands it out.
    elsewhere = run_suite(tmp_path, unreachable=False, TEST_DATABASE_URL="postgres://postgres@localhost:5432/test")
    assert elsewhere.returncode == 0, elsewhere.stdout
    assert "[postgresql]" not in elsewhere.stdout and "deselected" not in elsewhere.stdout
    refused = run_suite(tmp_path, unreachable=False, TEST_DATABASE_URL="postgresql://postgres@127.0.0.1:1/test")
    assert refused.returncode == 1 and "127.0.0.1:1" in refused.stdout
