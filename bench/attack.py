"""Under attack, on loopback: idle and slow connections and large unsigned bodies held open against
`/slack/events`, while signed commands are sent one at a time and the serving processes' memory is
watched. Bounded: a fixed number of connections, for a fixed time, from a helper process that
closes them all and exits by itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import Counter
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

from bench import load, server
from bench.child import Child
from bench.report import Check
from tests.fakes.kaleyra import FakeKaleyra
from tests.fakes.slack import FakeSlack
from tests.serve_process import ServeProcess
from tests.support import KALEYRA_API_KEY, KALEYRA_SID, ONCALL_GROUP, WABA

MS = 1000.0
MB = 1024 * 1024
TARGET_MAX_ACK_MS = 1000.0
TARGET_GROWTH_MB = 50.0
CONNECT_TIMEOUT_SECONDS = 30.0
RSS_SAMPLE_SECONDS = 0.2
COMMAND_GAP_SECONDS = 0.25
BODY_CHUNK = 64 * 1024


@dataclass(frozen=True)
class AttackPlan:
    idle: int  # connect, then send nothing
    slow: int  # one header byte a second, never finishing the headers
    bodies: int  # unsigned POSTs announcing body_bytes, sent slowly enough to stay in flight
    body_bytes: int
    seconds: float


FULL = AttackPlan(idle=100, slow=100, bodies=20, body_bytes=10 * MB, seconds=20.0)
QUICK = AttackPlan(idle=100, slow=100, bodies=20, body_bytes=10 * MB, seconds=10.0)


@dataclass
class AttackFigures:
    label: str
    plan: AttackPlan
    acks_ms: list[float] = field(default_factory=list)
    unanswered: int = 0  # signed commands with no 200 in time
    rss_before: int = 0
    rss_peak: int = 0
    attacker: dict[str, Counter[str]] = field(default_factory=dict)  # per kind: what became of each connection
    body_bytes_sent: int = 0
    problems: list[str] = field(default_factory=list)


def measure(label: str, url: str, plan: AttackPlan, latency: float, workdir: Path) -> AttackFigures:
    figures = AttackFigures(label, plan)
    with (
        FakeSlack(usergroups={ONCALL_GROUP: ["U0BOB"]}) as slack,
        FakeKaleyra(sid=KALEYRA_SID, api_key=KALEYRA_API_KEY, wabas=(WABA,), latency=latency) as kaleyra,
    ):
        env = server.environment(slack, kaleyra, url)
        with server.serving(env, workdir, label, figures.problems) as running:
            watcher = load.Watcher(slack)
            for _ in range(3):  # whatever the worker loads lazily is loaded before "before"
                figures.problems += load.resend(running.sender, watcher, 1).problems
            figures.rss_before = figures.rss_peak = server.memory(running.process.pids())[0]
            attacker = Child(_attack, running.process.port, plan)
            try:
                attacker.receive(CONNECT_TIMEOUT_SECONDS)  # every connection attempted
                with _peak_rss(running.process, figures):
                    deadline = time.monotonic() + plan.seconds
                    while time.monotonic() < deadline:
                        (sent,) = running.sender.fire([load.inline_command("CATTACK")])
                        figures.acks_ms.append(sent.ack_seconds * MS)
                        figures.unanswered += sent.status != 200
                        time.sleep(COMMAND_GAP_SECONDS)
                figures.attacker, figures.body_bytes_sent = attacker.receive(plan.seconds + CONNECT_TIMEOUT_SECONDS)
            finally:
                attacker.close()
    return figures


@contextlib.contextmanager
def _peak_rss(process: ServeProcess, figures: AttackFigures) -> Iterator[None]:
    """Sample the serving processes' summed RSS in a thread while the block runs; keep the peak."""
    done = threading.Event()

    def sample() -> None:
        while not done.wait(RSS_SAMPLE_SECONDS):
            figures.rss_peak = max(figures.rss_peak, server.memory(process.pids())[0])

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield
    finally:
        done.set()
        sampler.join(timeout=5)


def checks(f: AttackFigures) -> list[Check]:
    p = load.percentile
    plan = f.plan
    held = (
        f"{plan.idle} idle + {plan.slow} slow connections, {plan.bodies} × {plan.body_bytes // MB} MB unsigned bodies"
    )
    rows = [Check("attack, for " + f"{plan.seconds:.0f} s", held, None)]
    for kind, fates in f.attacker.items():
        rows.append(Check(f"  {kind} connections", ", ".join(f"{n} {fate}" for fate, n in sorted(fates.items())), None))
    announced = plan.bodies * plan.body_bytes / MB
    sent = f"{f.body_bytes_sent / MB:.0f} MB of {announced:.0f} MB announced (kernel buffers included)"
    rows.append(Check("  unsigned body bytes written", sent, None))
    if f.acks_ms:
        worst = max(f.acks_ms)
        text = (
            f"p50 {p(f.acks_ms, 50):.1f}  max {worst:.1f} ms over {len(f.acks_ms)} commands, {f.unanswered} unanswered"
            f"  (target max < {TARGET_MAX_ACK_MS:.0f} ms)"
        )
        rows.append(Check("signed command ack under attack", text, worst < TARGET_MAX_ACK_MS and not f.unanswered))
    growth = (f.rss_peak - f.rss_before) / MB
    text = (
        f"{f.rss_before / MB:.0f} MB before, peak {f.rss_peak / MB:.0f} MB: +{growth:.0f} MB"
        f"  (target < +{TARGET_GROWTH_MB:.0f} MB)"
    )
    rows.append(Check("serving processes' RSS", text, growth < TARGET_GROWTH_MB))
    return rows


# -- the attacker, in a helper process ---------------------------------------------------------


def _attack(pipe: Connection, port: int, plan: AttackPlan) -> None:
    pipe.send(asyncio.run(_run(pipe, port, plan)))


async def _run(pipe: Connection, port: int, plan: AttackPlan) -> tuple[dict[str, Counter[str]], int]:
    loop = asyncio.get_running_loop()
    connected = 0
    ready = asyncio.Event()
    fates: dict[str, Counter[str]] = {"idle": Counter(), "slow": Counter(), "body": Counter()}
    body_bytes = [0]

    async def one(kind: str, talk: Callable[[asyncio.StreamWriter, float], Coroutine[None, None, None]]) -> None:
        nonlocal connected
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            fates[kind]["refused"] += 1
            return
        finally:
            connected += 1
            if connected == plan.idle + plan.slow + plan.bodies:
                ready.set()
        await ready.wait()  # the window starts once every connection is open
        until = loop.time() + plan.seconds
        talking = asyncio.create_task(talk(writer, until))
        # Whatever the server does first (answers, closes, resets) decides the connection's fate.
        answered = asyncio.create_task(reader.read(64))
        await asyncio.wait({answered}, timeout=max(0.0, until - loop.time()))
        fates[kind][_fate(answered)] += 1
        for task in (talking, answered):
            task.cancel()
        writer.close()

    async def idle(writer: asyncio.StreamWriter, until: float) -> None:
        await asyncio.sleep(until - loop.time())

    async def slow(writer: asyncio.StreamWriter, until: float) -> None:
        head = b"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 10_000
        for byte in head:
            if loop.time() >= until:
                return
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(1)

    async def body(writer: asyncio.StreamWriter, until: float) -> None:
        writer.write(
            b"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            + f"Content-Length: {plan.body_bytes}\r\n\r\n".encode()
        )
        # Paced to finish a quarter after the window closes: in flight for all of it.
        gap = plan.seconds * 1.25 / (plan.body_bytes / BODY_CHUNK)
        chunk = b"x" * BODY_CHUNK
        while loop.time() < until:
            writer.write(chunk)
            await writer.drain()
            body_bytes[0] += len(chunk)
            await asyncio.sleep(gap)

    kinds = [("idle", idle)] * plan.idle + [("slow", slow)] * plan.slow + [("body", body)] * plan.bodies
    tasks = [asyncio.create_task(one(kind, talk)) for kind, talk in kinds]
    await ready.wait()
    pipe.send("connected")
    await asyncio.gather(*tasks, return_exceptions=True)
    return fates, body_bytes[0]


def _fate(answered: asyncio.Task[bytes]) -> str:
    if not answered.done():
        return "held open to the end"
    if answered.cancelled() or answered.exception() is not None:
        return "reset by the server"
    data = answered.result()
    if not data:
        return "closed by the server"
    status = data.split(b"\r\n", 1)[0].split(b" ")
    return f"answered {status[1].decode(errors='replace') if len(status) > 1 else '?'}"
