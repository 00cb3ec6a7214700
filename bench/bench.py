"""Benchmark `python -m bot serve` against the loopback fake Slack and Kaleyra, on SQLite and PostgreSQL.

    .venv/bin/python bench/bench.py [--quick] [--kaleyra-latency 0.2] [--db sqlite|postgresql|both]
    .venv/bin/python bench/bench.py --network realistic [--slack-delay-ms 15] [--kaleyra-delay-ms 40]
    .venv/bin/python bench/bench.py --attack
    .venv/bin/python bench/bench.py --peer [--quick]   # beside a plain Bolt bot (bench/peer.py)

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

from bench import alerts, attack, load, realistic, server, versus  # noqa: E402
from bench.report import Check, load_average, print_checks  # noqa: E402
from bench.sender import Sender  # noqa: E402
from tests.conftest import postgres_schema  # noqa: E402
from tests.fakes.kaleyra import FakeKaleyra  # noqa: E402
from tests.fakes.slack import FakeSlack  # noqa: E402
from tests.support import KALEYRA_API_KEY, KALEYRA_SID, ONCALL_GROUP, WABA  # noqa: E402

MS = 1000.0
MB = 1024 * 1024


@dataclass(frozen=True)
class Plan:
    sequential: int  # commands one at a time (ack at 1, end to end)
    modals: int  # bare commands, one at a time (views.open)
    bursts_of_20: int
    bursts_of_100: int
    direct_calls: int  # straight to the fake Kaleyra (the floor)
    alerts: int  # alerts in a watched channel, one at a time: the card, then a click on it


FULL = Plan(sequential=40, modals=30, bursts_of_20=10, bursts_of_100=3, direct_calls=40, alerts=20)
QUICK = Plan(sequential=10, modals=8, bursts_of_20=2, bursts_of_100=1, direct_calls=10, alerts=5)


@dataclass
class Figures:
    database: str
    healthy_s: float = 0.0
    first_ack_ms: float = 0.0
    acks_ms: dict[int, list[float]] = field(default_factory=dict)
    e2e_ms: dict[int, list[float]] = field(default_factory=dict)
    views_open_ms: list[float] = field(default_factory=list)
    alerts: alerts.AlertRound = field(default_factory=alerts.AlertRound)
    direct_ms: list[float] = field(default_factory=list)
    rss_bytes: int = 0
    pss_bytes: int = 0
    processes: int = 0
    startup_cpu_s: float = 0.0
    cpu_ms_per_request: float = 0.0
    bench_cpu_ms_per_request: float = 0.0
    problems: list[str] = field(default_factory=list)


_triggers = itertools.count(1)


def run_commands(sender: Sender, watcher: load.Watcher, concurrency: int, figures: Figures) -> None:
    done = load.resend(sender, watcher, concurrency)
    figures.acks_ms.setdefault(concurrency, []).extend(done.acks_ms)
    figures.e2e_ms.setdefault(concurrency, []).extend(done.e2e_ms)
    figures.problems += done.problems


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
        env = server.environment(slack, kaleyra, url)
        with server.serving(env, workdir, database, figures.problems) as running:
            figures.healthy_s = running.healthy_s
            pids = running.process.pids
            figures.startup_cpu_s = server.cpu_seconds(pids())
            with profiling(running.process.process.pid, profile):
                cpu_before, bench_before = server.cpu_seconds(pids()), time.process_time()
                drive(running.sender, load.Watcher(slack), plan, figures)
                requests = 1 + plan.sequential + plan.modals + 20 * plan.bursts_of_20 + 100 * plan.bursts_of_100
                requests += 2 * plan.alerts
                figures.cpu_ms_per_request = (server.cpu_seconds(pids()) - cpu_before) * MS / requests
                figures.bench_cpu_ms_per_request = (time.process_time() - bench_before) * MS / requests
            figures.direct_ms = [load.kaleyra_direct(kaleyra) * MS for _ in range(plan.direct_calls)]
            figures.processes = len(pids())
            figures.rss_bytes, figures.pss_bytes = server.memory(pids())
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
    figures.alerts = alerts.cards_and_clicks(sender, watcher, plan.alerts)
    figures.problems += figures.alerts.problems
    for _ in range(plan.bursts_of_20):
        run_commands(sender, watcher, 20, figures)
    for _ in range(plan.bursts_of_100):
        run_commands(sender, watcher, 100, figures)


@contextmanager
def database_url(database: str, workdir: Path) -> Iterator[str]:
    if database == "sqlite":
        yield f"sqlite:///{workdir / 'bench.db'}"
    else:
        with postgres_schema("bench") as url:
            yield url


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
    rows += alerts.checks(f.alerts)
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
        text = f"p50 {p(e2e, 50):.1f}  p99 {p(e2e, 99):.1f} ms; p50 over the floor {overhead:+.1f} ms (×{ratio:.2f})"
        if n == 1:
            rows.append(Check("end to end, 1 at a time", f"{text}  (target < +25 ms)", overhead < 25))
        else:
            rows.append(Check(f"end to end, {n} at a time", text, None))
    return rows


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(argv)
    databases = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    print(describe(args))
    ok = True
    for database in databases:
        with tempfile.TemporaryDirectory(prefix=f"bench-{database}-") as tmp, database_url(database, Path(tmp)) as url:
            ok = run(args, database, url, Path(tmp)) and ok
    print(f"\n{load_average()}")
    print("all targets met" if ok else "some targets missed (MISS or !! above)")
    return 0 if ok else 1


def run(args: argparse.Namespace, database: str, url: str, workdir: Path) -> bool:
    """One mode on one database; True when its targets are met."""
    if args.attack:
        attacked = attack.measure(
            f"{database}-attack", url, attack.QUICK if args.quick else attack.FULL, args.kaleyra_latency, workdir
        )
        return print_checks(f"{database}, under attack", attack.checks(attacked), attacked.problems)
    if args.peer:
        rounds = (QUICK if args.quick else FULL).sequential
        all_three = versus.measure(f"{database}-versus", url, rounds, args.kaleyra_latency, workdir)
        return print_checks(f"{database}, serve beside a plain Bolt bot", versus.checks(all_three), all_three.problems)
    if args.network == "realistic":
        plan = realistic.QUICK if args.quick else realistic.FULL
        delays = realistic.Delays(slack=args.slack_delay_ms / MS, kaleyra=args.kaleyra_delay_ms / MS)
        network = realistic.measure(f"{database}-realistic", url, plan, delays, args.kaleyra_latency, workdir)
        return print_checks(f"{database}, realistic network", realistic.checks(network, plan.resends), network.problems)
    profile = Path(f"{args.profile}-{database}.folded") if args.profile else None
    figures = measure(database, url, QUICK if args.quick else FULL, args.kaleyra_latency, workdir, profile)
    return print_checks(database, checks(figures), figures.problems)


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a short run: fewer samples, one burst of 100")
    parser.add_argument(
        "--network",
        choices=("loopback", "realistic"),
        default="loopback",
        help="realistic: the fakes over TLS behind delaying proxies",
    )
    parser.add_argument("--slack-delay-ms", type=float, default=15.0, help="realistic: one way to Slack (15)")
    parser.add_argument("--kaleyra-delay-ms", type=float, default=40.0, help="realistic: one way to Kaleyra (40)")
    parser.add_argument("--attack", action="store_true", help="slow and idle connections and large unsigned bodies")
    parser.add_argument("--peer", action="store_true", help="loopback, in turns with a plain Bolt bot (bench/peer.py)")
    parser.add_argument(
        "--kaleyra-latency",
        type=float,
        help="seconds the fake Kaleyra waits (0.2 on loopback; 0 on the realistic network, whose delay is the latency)",
    )
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), help="both on loopback, else sqlite")
    parser.add_argument("--profile", metavar="PREFIX", help="record py-spy profiles to PREFIX-<db>.folded")
    args = parser.parse_args(argv)
    if args.profile and py_spy() is None:
        parser.error("--profile needs py-spy: .venv/bin/pip install py-spy")
    if args.attack + args.peer + (args.network == "realistic") > 1:
        parser.error("--attack, --peer and --network realistic are separate runs: choose one")
    loopback = args.network == "loopback" and not (args.attack or args.peer)
    if args.kaleyra_latency is None:
        args.kaleyra_latency = 0.0 if args.network == "realistic" else 0.2
    if args.db is None:
        args.db = "both" if loopback else "sqlite"
    return args


def describe(args: argparse.Namespace) -> str:
    workers = os.environ.get("WEB_CONCURRENCY", "1")
    threads = os.environ.get("WEB_THREADS", "default")
    cpus = os.cpu_count()
    mode = "attack" if args.attack else "in turns with a plain Bolt bot" if args.peer else f"{args.network} network"
    if args.network == "realistic":
        mode += f" (one way: Slack {args.slack_delay_ms:.0f} ms, Kaleyra {args.kaleyra_delay_ms:.0f} ms)"
    return (
        f"python -m bot serve on {cpus} CPUs, WEB_CONCURRENCY={workers} WEB_THREADS={threads}; {mode}; "
        f"fake Kaleyra +{args.kaleyra_latency * MS:.0f} ms; {'quick' if args.quick else 'full'} run; "
        f"{load_average()}"
    )


if __name__ == "__main__":
    sys.exit(main())
