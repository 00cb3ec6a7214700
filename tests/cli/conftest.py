"""The CLI through its `main`, in this process: what an operator types and reads, on SQLite and PostgreSQL.

test_cli.py runs real `python -m bot` processes; these run the same `main` in-process, so they are
quick enough to run on both databases (and a mutation tool can follow them into the code).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

# Alembic binds its default output stream (sys.stdout) when first imported: imported under capsys,
# it would keep a stream that capsys closes, and later migrations would write to a closed file.
import alembic.config  # noqa: F401
import pytest

from bot.cli import main
from tests.conftest import seed_store
from tests.fakes.kaleyra import FakeKaleyra
from tests.support import TEST_TIMINGS

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
