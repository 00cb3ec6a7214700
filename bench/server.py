"""`python -m bot serve` as an operator runs it (seeded with the CLI), or the plain Bolt peer; measured from /proc."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.alerts import ALERT_CHANNEL
from bench.sender import Sender
from tests.fakes.kaleyra import FakeKaleyra
from tests.fakes.slack import FakeSlack
from tests.serve_process import ServeProcess, bot_environment, free_port, run_cli
from tests.support import ALICE, ONCALL_GROUP, WABA, WABA_NAME

CLI_TIMEOUT_SECONDS = 60
HEALTHY_TIMEOUT_SECONDS = 30


def environment(slack: FakeSlack, kaleyra: FakeKaleyra, database_url: str, **overrides: str) -> dict[str, str]:
    """The operator's environment (WEB_CONCURRENCY, LOG_LEVEL… pass through) pointed at the fakes.

    One person sends every command: the per-person limit is off, to measure resends, not refusals.
    """
    settings = {"RESENDS_PER_USER_PER_HOUR": "0", **overrides}
    return bot_environment(slack, kaleyra, database_url, port=free_port(), inherit=True) | settings


@dataclass(frozen=True)
class Running:
    process: ServeProcess
    sender: Sender  # signed requests to its port, from a process of their own
    healthy_s: float  # from spawning `serve` to its first 200 on /healthz


@contextmanager
def serving(
    env: dict[str, str], workdir: Path, label: str, problems: list[str], command: Sequence[str] | None = None
) -> Iterator[Running]:
    """Seed, start `serve` with `env` and wait until healthy; afterwards stop it and add its logged errors.

    `command` starts another server instead (bench.peer), on the database serve seeded.
    """
    if command is None:
        prepare(env, workdir)
    sender = Sender(int(env["PORT"]))
    process = ServeProcess.start(env, workdir, workdir / f"{label}.log", command)
    try:
        yield Running(process, sender, process.wait_healthy(HEALTHY_TIMEOUT_SECONDS))
    finally:
        process.stop()
        sender.close()
        problems += log_problems(process.log_path, label)


def log_problems(log_path: Path, label: str) -> list[str]:
    lines = log_path.read_text(errors="replace").splitlines()
    bad = [line for line in lines if " ERROR " in line or "Traceback" in line or " CRITICAL " in line]
    if not bad:
        return []
    # The working directory goes away with the run; the log is worth keeping.
    kept = Path(tempfile.gettempdir()) / f"bench-{label}-serve.log"
    shutil.copyfile(log_path, kept)
    return [f"serve logged {len(bad)} error line(s), first: {bad[0][:200]} (all in {kept})"]


def prepare(env: dict[str, str], cwd: Path) -> None:
    """Migrate and seed exactly as the README tells an operator to."""
    for args in (
        ["db", "upgrade"],
        ["waba", "add", WABA, "--name", WABA_NAME],
        ["grant", ALICE, WABA],
        # A group grant too, so every request also resolves the user's groups (cached from Slack).
        ["grant", ONCALL_GROUP, "*"],
        ["watch", "add", ALERT_CHANNEL],
    ):
        done = run_cli(args, cwd, env, timeout=CLI_TIMEOUT_SECONDS)
        if done.returncode != 0:
            raise RuntimeError(f"`python -m bot {' '.join(args)}` failed: {done.stderr.strip()}")


def memory(pids: list[int]) -> tuple[int, int]:
    """(RSS, PSS) in bytes summed over the serving processes; PSS counts shared pages once."""
    rss = pss = 0
    for pid in pids:
        rss += _field_kb(Path(f"/proc/{pid}/status"), "VmRSS") * 1024
        pss += _field_kb(Path(f"/proc/{pid}/smaps_rollup"), "Pss") * 1024
    return rss, pss


def cpu_seconds(pids: list[int]) -> float:
    """CPU time (user + system) used so far by the serving processes, the CLI before its exec included."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def _field_kb(path: Path, key: str) -> int:
    try:
        for line in path.read_text().splitlines():
            if line.startswith(f"{key}:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0
