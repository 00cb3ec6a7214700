"""The CLI as an operator runs it: a subprocess in an empty working directory, with only what they export
(`bot`, `workdir`, `env`); and through its `main` in this process (`cli`), quick enough to run on both
databases and for a mutation tool to follow into the code."""

from __future__ import annotations

import logging
import os
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

# Alembic binds its default output stream (sys.stdout) when first imported: imported under capsys,
# it would keep a stream that capsys closes, and later migrations would write to a closed file.
import alembic.config  # noqa: F401
import pytest
from sqlalchemy import Engine

from bot.cli import main
from bot.store.db import make_engine, upgrade
from tests.conftest import seed_store
from tests.fakes.kaleyra import FakeKaleyra
from tests.serve_process import run_cli
from tests.support import KALEYRA_API_KEY, KALEYRA_SID, PHONE, TEST_TIMINGS

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


# Settings an operator's shell might carry that would change what these tests see.
_UNSET = ("ADMIN_USER_IDS", "KALEYRA_DRY_RUN", "KALEYRA_REGION", "DEFAULT_PHONE_REGION", "LOG_LEVEL", "LOG_FORMAT")


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(
    database_url: str,
    fake_kaleyra: FakeKaleyra,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> Iterator[Callable[..., Ran]]:
    """`resend-otp-bot ARGS` on a migrated, seeded store (Alice may use Acme Retail) and the fake Kaleyra."""
    monkeypatch.chdir(tmp_path)  # no .env from the developer's checkout
    for name in _UNSET:
        monkeypatch.delenv(name, raising=False)
    env = {
        "DATABASE_URL": database_url,
        "KALEYRA_SID": fake_kaleyra.sid,
        "KALEYRA_API_KEY": fake_kaleyra.api_key,
        "KALEYRA_BASE_URL": fake_kaleyra.base_url,
        "USER": "operator",
        **TEST_TIMINGS,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    seed_store(database_url)
    # `main` points the root logger at stderr, as a terminal wants; give pytest its handlers back.
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level

    def run(*args: str) -> Ran:
        capsys.readouterr()
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse's own errors
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return Ran(code, out, err)

    yield run
    root.handlers[:] = handlers
    root.setLevel(level)
