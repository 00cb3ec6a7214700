"""The CLI as an operator runs it: a subprocess in an empty working directory, with only what they export."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.store.db import make_engine, upgrade
from tests.fakes.kaleyra import FakeKaleyra
from tests.serve_process import run_cli
from tests.support import KALEYRA_API_KEY, KALEYRA_SID, PHONE

FULL_DIGITS = PHONE.removeprefix("+91")


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """An empty working directory: no .env, and the default SQLite file lands here."""
    path = tmp_path / "ops"
    path.mkdir()
    return path


@pytest.fixture
def env(workdir: Path, fake_kaleyra: FakeKaleyra) -> dict[str, str]:
    """Only what an operator would export; nothing inherited from the developer's shell."""
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(workdir),
        "USER": "operator",
        "PYTHONIOENCODING": "utf-8",
        "KALEYRA_SID": KALEYRA_SID,
        "KALEYRA_API_KEY": KALEYRA_API_KEY,
        "KALEYRA_BASE_URL": fake_kaleyra.base_url,
        "KALEYRA_TIMEOUT_SECONDS": "5",
    }


def bot(workdir: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(args, workdir, env)


def one_error_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode != 0, done.stdout
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in done.stderr
    return lines[0]


def migrated_store(workdir: Path) -> Engine:
    engine = make_engine(f"sqlite:///{workdir / 'resend_otp.db'}")
    upgrade(engine)
    return engine
