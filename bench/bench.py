"""Benchmark `python -m bot serve` against the loopback fake Slack and Kaleyra, on SQLite and PostgreSQL.

    .venv/bin/python bench/bench.py [--quick] [--kaleyra-latency 0.2] [--db sqlite|postgresql|both]

Each figure is printed beside its SPEC.md target; the exit status is 1 when one is missed.
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Run as a script: the fakes and request builders live in the repo's tests package.
sys.path.insert(0, str(ROOT))

from bench import load, server  # noqa: E402
from bench.sender import Sender  # noqa: E402
from tests.conftest import postgres_schema  # noqa: E402
from tests.fakes.kaleyra import FakeKaleyra  # noqa: E402
from tests.fakes.slack import FakeSlack  # noqa: E402
from tests.serve_process import ServeProcess, bot_environment, free_port  # noqa: E402
from tests.support import KALEYRA_API_KEY, KALEYRA_SID, ONCALL_GROUP, WABA  # noqa: E402

MS = 1000.0
HEALTHY_TIMEOUT_SECONDS = 30
MB = 1024 * 1024


@dataclass(frozen=True)
class Plan:
    sequential: int  # commands one at a time (ack at 1, end to end)
    modals: int  # bare commands, one at a time (views.open)
    bursts_of_20: int
    bursts_of_100: int
    direct_calls: int  # straight to the fake Kaleyra (the floor)


FULL = Plan(sequential=40, modals=30, bursts_of_20=10, bursts_of_100=3, direct_calls=40)
QUICK = Plan(sequential=10, modals=8, bursts_of_20=2, bursts_of_100=1, direct_calls=10)


@dataclass
class Figures:
    database: str
    healthy_s: float = 0.0
    first_ack_ms: float = 0.0
    acks_ms: dict[int, list[float]] = field(default_factory=dict)
    e2e_ms: dict[int, list[float]] = field(default_factory=dict)
    views_open_ms: list[float] = field(default_factory=list)
    direct_ms: list[float] = field(default_factory=list)
    rss_bytes: int = 0
    pss_bytes: int = 0
    processes: int = 0
    startup_cpu_s: float = 0.0
    cpu_ms_per_request: float = 0.0
    bench_cpu_ms_per_request: float = 0.0
    problems: list[str] = field(default_factory=list)


_channels = itertools.count(1)
_triggers = itertools.count(1)


def run_commands(sender: Sender, watcher: load.Watcher, concurrency: int, figures: Figures) -> None:
    """Send `concurrency` inline commands at once and wait until each outcome is in its thread."""
    channels = [f"C{next(_channels):08d}" for _ in range(concurrency)]
    requests = [load.inline_command(channel) for channel in channels]
    sent = sender.fire(requests)
    failed = [s.status for s in sent if s.status != 200]
    if failed:
        figures.problems.append(f"{len(failed)} of {concurrency} commands answered {sorted(set(failed))} (0: none)")
    figures.acks_ms.setdefault(concurrency, []).extend(s.ack_seconds * MS for s in sent)
    # The parent's update is a command's last call: waiting for it keeps the next round clean.
    posted = watcher.wait(load.outcome_posted, {(kind, c) for c in channels for kind in ("reply", "update")})
    replies = {channel: call for (kind, channel), call in posted.items() if kind == "reply"}
    if len(posted) < 2 * len(channels):
        figures.problems.append(f"{2 * len(channels) - len(posted)} replies or parent updates never came")
    e2e = figures.e2e_ms.setdefault(concurrency, [])
    e2e.extend((replies[c].received_at - s.sent_at) * MS for c, s in zip(channels, sent, strict=True) if c in replies)


def open_modal(sender: Sender, watcher: load.Watcher, figures: Figures) -> None:
    trigger_id = f"{next(_triggers)}.bench.{time.time_ns():x}"
    (sent,) = sender.fire([load.bare_command(trigger_id)])
    opened = watcher.wait(load.views_open, {trigger_id})
    if sent.status != 200 or trigger_id not in opened:
        figures.problems.append(f"a bare command got {sent.status} and views.open {'yes' if opened else 'never'}")
        return
    figures.views_open_ms.append((opened[trigger_id].received_at - sent.sent_at) * MS)


@contextmanager
def profiling(pid: int, output: Path | None) -> Iterator[None]:
    """py-spy on the serving processes while they are driven: only stacks holding the GIL, folded."""
    if output is None:
        yield
        return
    command = [str(py_spy()), "record", "--pid", str(pid), "--subprocesses", "--gil", "--nolineno", "--format", "raw"]
    recorder = subprocess.Popen([*command, "--output", str(output)], stdout=subprocess.DEVNULL)
    try:
        time.sleep(1)  # py-spy attaches before the first request
        yield
    finally:
        recorder.send_signal(signal.SIGINT)  # py-spy writes its output when interrupted
        try:
            recorder.wait(timeout=30)
        except subprocess.TimeoutExpired:
            recorder.kill()
            recorder.wait(timeout=5)


def py_spy() -> Path | None:
    found = shutil.which("py-spy")
    beside = Path(sys.executable).with_name("py-spy")
    return Path(found) if found else beside if beside.exists() else None


def measure(database: str, url: str, plan: Plan, latency: float, workdir: Path, profile: Path | None) -> Figures:
    figures = Figures(database)
    with (
        FakeSlack(usergroups={ONCALL_GROUP: ["U0BOB"]}) as slack,
        FakeKaleyra(sid=KALEYRA_SID, api_key=KALEYRA_API_KEY, wabas=(WABA,), latency=latency) as kaleyra,
    ):
        # The operator's environment (WEB_CONCURRENCY, LOG_LEVEL… pass through) pointed at the fakes;
        # one person sends every command, so the per-person limit is off to measure resends, not refusals.
        env = bot_environment(slack, kaleyra, url, port=free_port(), inherit=True, RESENDS_PER_USER_PER_HOUR="0")
        server.prepare(env, workdir)
        sender = Sender(int(env["PORT"]))
        serving = ServeProcess.start(env, workdir, workdir / "serve.log")
        try:
            figures.healthy_s = serving.wait_healthy(HEALTHY_TIMEOUT_SECONDS)
            figures.startup_cpu_s = server.cpu_seconds(serving.pids())
            with profiling(serving.process.pid, profile):
                cpu_before, bench_before = server.cpu_seconds(serving.pids()), time.process_time()
                drive(sender, load.Watcher(slack), plan, figures)
                requests = 1 + plan.sequential + plan.modals + 20 * plan.bursts_of_20 + 100 * plan.bursts_of_100
                figures.cpu_ms_per_request = (server.cpu_seconds(serving.pids()) - cpu_before) * MS / requests
                figures.bench_cpu_ms_per_request = (time.process_time() - bench_before) * MS / requests
            figures.direct_ms = [load.kaleyra_direct(kaleyra) * MS for _ in range(plan.direct_calls)]
            pids = serving.pids()
            figures.processes = len(pids)
            figures.rss_bytes, figures.pss_bytes = server.memory(pids)
        finally:
            serving.stop()
            sender.close()
        figures.problems += log_problems(serving.log_path, database)
    return figures


def drive(sender: Sender, watcher: load.Watcher, plan: Plan, figures: Figures) -> None:
    # The very first command pays for whatever the worker does lazily; shown, not mixed in.
    run_commands(sender, watcher, 1, figures)
    figures.first_ack_ms = figures.acks_ms.pop(1)[0]
    figures.e2e_ms.pop(1)
    for _ in range(plan.sequential):
        run_commands(sender, watcher, 1, figures)
    for _ in range(plan.modals):
        open_modal(sender, watcher, figures)
    for _ in range(plan.bursts_of_20):
        run_commands(sender, watcher, 20, figures)
    for _ in range(plan.bursts_of_100):
        run_commands(sender, watcher, 100, figures)


def log_problems(log_path: Path, database: str) -> list[str]:
    lines = log_path.read_text(errors="replace").splitlines()
    bad = [line for line in lines if " ERROR " in line or "Traceback" in line or " CRITICAL " in line]
    if not bad:
        return []
    # The working directory goes away with the run; the log is worth keeping.
    kept = Path(tempfile.gettempdir()) / f"bench-{database}-serve.log"
    shutil.copyfile(log_path, kept)
    return [f"serve logged {len(bad)} error line(s), first: {bad[0][:200]} (all in {kept})"]


@contextmanager
def database_url(database: str, workdir: Path) -> Iterator[str]:
    if database == "sqlite":
        yield f"sqlite:///{workdir / 'bench.db'}"
    else:
        with postgres_schema("bench") as url:
            yield url


@dataclass(frozen=True)
class Check:
    label: str
    shown: str
    passed: bool | None  # None: shown for context, no target


def checks(f: Figures) -> list[Check]:
    p = load.percentile
    rows: list[Check] = [Check("start → /healthz 200", f"{f.healthy_s:.2f} s    (target < 2 s)", f.healthy_s < 2)]
    rows.append(Check("start-up CPU (CLI, master, worker)", f"{f.startup_cpu_s:.2f} s", None))
    rows.append(Check("first command ack", f"{f.first_ack_ms:.1f} ms", None))
    cpu = f"{f.cpu_ms_per_request:.1f} ms serving, {f.bench_cpu_ms_per_request:.1f} ms this script and the fakes"
    rows.append(Check("CPU per Slack request", cpu, None))
    for n, acks in sorted(f.acks_ms.items()):
        target = {20: ("p99", 100.0), 100: ("max", 1000.0)}.get(n)
        text = f"p50 {p(acks, 50):.1f}  p99 {p(acks, 99):.1f}  max {max(acks):.1f} ms  ({len(acks)} commands)"
        if target is None:
            rows.append(Check(f"ack, {n} at a time", text, None))
            continue
        which, limit = target
        value = p(acks, 99) if which == "p99" else max(acks)
        rows.append(Check(f"ack, {n} at a time", f"{text}  (target {which} < {limit:.0f} ms)", value < limit))
    if f.views_open_ms:
        vo = f.views_open_ms
        text = f"p50 {p(vo, 50):.1f}  p99 {p(vo, 99):.1f} ms  (target p50 < 50 ms)"
        rows.append(Check("views.open after bare command", text, p(vo, 50) < 50))
    rows += e2e_checks(f)
    rss, pss = f.rss_bytes / MB, f.pss_bytes / MB
    text = f"{rss:.0f} MB RSS ({pss:.0f} MB PSS) over {f.processes} processes  (target < 150 MB)"
    rows.append(Check("serving processes' memory", text, rss < 150))
    return rows


def e2e_checks(f: Figures) -> list[Check]:
    p = load.percentile
    direct = f.direct_ms
    rows = [Check("Kaleyra direct (the floor)", f"p50 {p(direct, 50):.1f}  p99 {p(direct, 99):.1f} ms", None)]
    for n, e2e in sorted(f.e2e_ms.items()):
        if not e2e:
            continue
        overhead = p(e2e, 50) - p(direct, 50)
        ratio = p(e2e, 50) / p(direct, 50)
        text = f"p50 {p(e2e, 50):.1f}  p99 {p(e2e, 99):.1f} ms; p50 over the floor +{overhead:.1f} ms (×{ratio:.2f})"
        if n == 1:
            rows.append(Check("end to end, 1 at a time", f"{text}  (target < +25 ms)", overhead < 25))
        else:
            rows.append(Check(f"end to end, {n} at a time", text, None))
    return rows


def report(f: Figures) -> bool:
    print(f"\n== {f.database}")
    ok = True
    for row in checks(f):
        mark = {True: "PASS", False: "MISS", None: "    "}[row.passed]
        print(f"  {mark}  {row.label:<32} {row.shown}")
        ok = ok and row.passed is not False
    for problem in f.problems:
        print(f"  !!    {problem}")
    return ok and not f.problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a short run: fewer samples, one burst of 100")
    parser.add_argument("--kaleyra-latency", type=float, default=0.2, help="seconds the fake Kaleyra waits (0.2)")
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--profile", metavar="PREFIX", help="record py-spy profiles to PREFIX-<db>.folded")
    args = parser.parse_args(argv)
    if args.profile and py_spy() is None:
        parser.error("--profile needs py-spy: .venv/bin/pip install py-spy")
    plan = QUICK if args.quick else FULL
    databases = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    print(describe(args))
    ok = True
    for database in databases:
        with tempfile.TemporaryDirectory(prefix=f"bench-{database}-") as tmp, database_url(database, Path(tmp)) as url:
            profile = Path(f"{args.profile}-{database}.folded") if args.profile else None
            ok = report(measure(database, url, plan, args.kaleyra_latency, Path(tmp), profile)) and ok
    print(f"\n{load_average()}")
    print("all targets met" if ok else "some targets missed (MISS or !! above)")
    return 0 if ok else 1


def describe(args: argparse.Namespace) -> str:
    workers = os.environ.get("WEB_CONCURRENCY", "1")
    threads = os.environ.get("WEB_THREADS", "default")
    cpus = os.cpu_count()
    return (
        f"python -m bot serve on {cpus} CPUs, WEB_CONCURRENCY={workers} WEB_THREADS={threads}; "
        f"fake Kaleyra +{args.kaleyra_latency * MS:.0f} ms; {'quick' if args.quick else 'full'} run; "
        f"{load_average()}"
    )


def load_average() -> str:
    # Other work on the machine takes CPU from the server and the fakes alike: say how much there was.
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min)"


if __name__ == "__main__":
    sys.exit(main())
