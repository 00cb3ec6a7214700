"""Setting up: scripts/install reinstalls only when pyproject.toml changes, and the container files."""

from __future__ import annotations

import fnmatch
import os
import shutil
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]

# Stands in for python3 and the venv's python: `-m venv DIR` makes DIR/bin/python (itself), and
# every `-m pip …` is written to $PIP_LOG instead of installing anything.
FAKE_PYTHON = """#!/usr/bin/env bash
if [ "$1 $2" = "-m venv" ]; then mkdir -p "$3/bin" && cp "$0" "$3/bin/python"; exit 0; fi
if [ "$1 $2" = "-m pip" ]; then shift 2; echo "$*" >> "$PIP_LOG"; exit 0; fi
exit 1
"""


def test_install_runs_pip_only_when_pyproject_changes(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "install", project / "scripts" / "install")
    (project / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "python3").write_text(FAKE_PYTHON)
    (tools / "python3").chmod(0o755)
    log = tmp_path / "pip.log"
    env = {**os.environ, "PATH": f"{tools}:{os.environ['PATH']}", "PIP_LOG": str(log)}

    def install(*extras: str) -> list[str]:
        done = subprocess.run(
            ["scripts/install", *extras], cwd=project, env=env, capture_output=True, text=True, timeout=30
        )
        assert done.returncode == 0 and done.stdout == "" and done.stderr == "", done
        return log.read_text().splitlines() if log.exists() else []

    assert len(install()) == 1
    assert len(install()) == 1  # the second start installs nothing
    assert install("dev")[-1].endswith("-e .[dev]")
    assert len(install()) == 2  # a dev install holds what a plain one needs
    (project / "pyproject.toml").write_text("[project]\nname = 'x'\ndependencies = ['y']\n")
    assert len(install()) == 3


def test_the_image_runs_as_a_user_through_the_ci_install_script_and_leaves_secrets_out() -> None:
    steps = [line.split(maxsplit=1) for line in (ROOT / "Dockerfile").read_text().splitlines() if line.strip()]
    users = [rest for step, *rest in steps if step == "USER"]
    assert users and users[-1] != ["root"]
    assert any(step == "RUN" and rest[0].startswith("scripts/install") for step, *rest in steps)
    assert "scripts/install" in (ROOT / "scripts" / "test").read_text()

    ignored = [p for p in (ROOT / ".dockerignore").read_text().splitlines() if p and not p.startswith("#")]
    for path in (".env", ".env.production", ".venv/bin/python", "resend_otp.db"):
        assert any(fnmatch.fnmatch(path, p.rstrip("/")) or path.startswith(p) for p in ignored), path

    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    assert compose["services"]["db"]["image"].startswith("postgres:")
    bot = compose["services"]["bot"]
    assert bot["build"] == "." and bot["environment"]["DATABASE_URL"].startswith("postgresql://")
    assert bot["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
