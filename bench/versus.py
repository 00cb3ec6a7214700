"""`serve` beside a plain Bolt bot (bench.peer) on loopback: what each adds to an inline resend over
the same retry_otp call made straight to the fake Kaleyra.

Three servers run at once against the same fakes and the same store: serve, the peer doing the same
work (the target) and the peer with no store at all (what the store's work costs). Each round sends
one command to each (which goes first rotates) and one request straight to Kaleyra, so whatever else
the machine is doing falls on all of them alike.
"""

from __future__ import annotations

import sys
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

from bench import load, server
from bench.report import Check
from bench.sender import Sender
from tests.fakes.kaleyra import FakeKaleyra
from tests.fakes.slack import FakeSlack
from tests.serve_process import free_port
from tests.support import KALEYRA_API_KEY, KALEYRA_SID, ONCALL_GROUP, WABA

MS = 1000.0
ROOT = Path(__file__).resolve().parents[1]
WARMUP_ROUNDS = 3  # each server's first commands pay for what it loads lazily (Bolt's auth.test, imports)
PEER_THREADS = 8


@dataclass
class Side:
    name: str
    acks_ms: list[float] = field(default_factory=list)
    e2e_ms: list[float] = field(default_factory=list)  # command sent → outcome in its thread at the fake Slack
    to_kaleyra_ms: list[float] = field(default_factory=list)  # command sent → retry_otp at the fake Kaleyra


@dataclass
class VersusFigures:
    label: str
    bot: Side = field(default_factory=lambda: Side("serve"))
    peer: Side = field(default_factory=lambda: Side("Bolt peer"))  # the same work, served the plain way
    bare: Side = field(default_factory=lambda: Side("Bolt, no store"))
    floor_ms: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def peer_command(port: int) -> list[str]:
    """The peer as a plain Bolt bot is deployed: gunicorn, one gthread worker, Bolt's WSGI adapter."""
    return [
        *(sys.executable, "-m", "gunicorn", "--chdir", str(ROOT), "--bind", f"127.0.0.1:{port}"),
        *("--workers", "1", "--worker-class", "gthread", "--threads", str(PEER_THREADS)),
        "bench.peer:api",
    ]


def serving_peer(
    env: dict[str, str], workdir: Path, label: str, work: str, problems: list[str]
) -> AbstractContextManager[server.Running]:
    # The port is chosen once the one before listens on its own, so no two are handed the same one.
    port = free_port()
    peer_env = env | {"PORT": str(port), "PEER_WORK": work}
    return server.serving(peer_env, workdir, label, problems, peer_command(port))


def measure(label: str, url: str, rounds: int, latency: float, workdir: Path) -> VersusFigures:
    figures = VersusFigures(label)
    with (
        FakeSlack(usergroups={ONCALL_GROUP: ["U0BOB"]}) as slack,
        FakeKaleyra(sid=KALEYRA_SID, api_key=KALEYRA_API_KEY, wabas=(WABA,), latency=latency) as kaleyra,
    ):
        env = server.environment(slack, kaleyra, url)
        with (
            server.serving(env, workdir, label, figures.problems) as bot,
            serving_peer(env, workdir, f"{label}-peer", "store", figures.problems) as peer,
            serving_peer(env, workdir, f"{label}-bare", "none", figures.problems) as bare,
        ):
            watcher = load.Watcher(slack)
            sides: list[tuple[Side, Sender]] = [
                (figures.bot, bot.sender),
                (figures.peer, peer.sender),
                (figures.bare, bare.sender),
            ]
            for number in range(WARMUP_ROUNDS + rounds):
                counted = number >= WARMUP_ROUNDS
                first = number % len(sides)
                for side, sender in sides[first:] + sides[:first]:
                    before = len(kaleyra.requests)
                    done = load.resend(sender, watcher, 1)
                    figures.problems += [f"{side.name}: {problem}" for problem in done.problems]
                    calls = kaleyra.requests[before:]
                    if len(calls) != 1:
                        figures.problems.append(f"{side.name}: {len(calls)} retry_otp calls for one command")
                    elif counted and done.e2e_ms:
                        side.acks_ms += done.acks_ms
                        side.e2e_ms += done.e2e_ms
                        side.to_kaleyra_ms += [(calls[0].received_at - at) * MS for at in done.sent_at]
                direct_ms = load.kaleyra_direct(kaleyra) * MS
                if counted:
                    figures.floor_ms.append(direct_ms)
    return figures


def checks(f: VersusFigures) -> list[Check]:
    p = load.percentile
    if not (f.floor_ms and f.bot.e2e_ms and f.peer.e2e_ms and f.bare.e2e_ms):
        return []
    floor = p(f.floor_ms, 50)
    rows = [Check("Kaleyra direct (the floor)", f"p50 {floor:.1f}  p90 {p(f.floor_ms, 90):.1f} ms", None)]
    for side in (f.bot, f.peer, f.bare):
        acks, e2e = side.acks_ms, side.e2e_ms
        rows.append(Check(f"{side.name}: ack", f"p50 {p(acks, 50):.1f}  p90 {p(acks, 90):.1f} ms", None))
        text = f"p50 {p(e2e, 50):.1f}  p90 {p(e2e, 90):.1f} ms ({len(e2e)} commands)"
        rows.append(Check(f"{side.name}: command → threaded reply", text, None))
        text = f"p50 {p(e2e, 50) - floor:+.1f}  p90 {p(e2e, 90) - floor:+.1f} ms"
        rows.append(Check(f"{side.name}: over the floor", text, None))
        # Where the overhead goes: before the Kaleyra call, or between its answer and the reply.
        after = [total - before for total, before in zip(e2e, side.to_kaleyra_ms, strict=True)]
        text = f"p50 {p(side.to_kaleyra_ms, 50):.1f} ms to retry_otp, {p(after, 50):.1f} ms from there to the reply"
        rows.append(Check(f"{side.name}: of which", text, None))
    ratios = {q: (p(f.bot.e2e_ms, q) - floor) / max(p(f.peer.e2e_ms, q) - floor, 0.1) for q in (50, 90)}
    text = f"×{ratios[50]:.2f} at p50, ×{ratios[90]:.2f} at p90  (target p50 ≤ ×1.00: no worse than the peer)"
    rows.append(Check("serve's overhead ÷ the peer's", text, ratios[50] <= 1.0))
    store_ms = p(f.peer.e2e_ms, 50) - p(f.bare.e2e_ms, 50)
    text = f"p50 {store_ms:+.1f} ms (the peer less the one with no store)"
    rows.append(Check("the store's work, in the peer", text, None))
    return rows
