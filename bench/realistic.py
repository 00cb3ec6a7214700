"""The realistic network: the fakes over TLS (a throwaway CA the bot trusts through SSL_CERT_FILE),
each behind a proxy that delays every chunk, and `serve` pointed at the proxies.

The floor is what no bot can beat: one request to Kaleyra and one to Slack, each on a TLS connection
that is already open, through the same proxies. A resend costs at least that; what it costs on top
is the bot's own work plus every connection it opens on the way.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench import load, server
from bench.proxy import DelayingProxies, Route
from bench.report import Check
from tests.fakes.kaleyra import FakeKaleyra
from tests.fakes.slack import FakeSlack
from tests.fakes.tls import ThrowawayCA
from tests.support import KALEYRA_API_KEY, KALEYRA_SID, ONCALL_GROUP, SLACK_BOT_TOKEN, WABA

MS = 1000.0
TARGET_OVER_FLOOR_MS = 25.0


@dataclass(frozen=True)
class NetworkPlan:
    warmup: int  # resends before counting: the first ones open the connections
    resends: int  # one at a time, measured
    floor_samples: int


FULL = NetworkPlan(warmup=3, resends=30, floor_samples=30)
QUICK = NetworkPlan(warmup=2, resends=8, floor_samples=10)


@dataclass(frozen=True)
class Delays:
    """One way, in seconds: a round trip costs twice as much."""

    slack: float
    kaleyra: float


@dataclass
class NetworkFigures:
    label: str
    delays: Delays
    acks_ms: list[float] = field(default_factory=list)
    e2e_ms: list[float] = field(default_factory=list)
    floor_ms: list[float] = field(default_factory=list)
    kaleyra_connections: int = 0  # opened during the measured resends
    slack_connections: int = 0
    slack_calls: int = 0
    problems: list[str] = field(default_factory=list)


def measure(label: str, url: str, plan: NetworkPlan, delays: Delays, latency: float, workdir: Path) -> NetworkFigures:
    figures = NetworkFigures(label, delays)
    with (
        ThrowawayCA() as ca,
        FakeSlack(usergroups={ONCALL_GROUP: ["U0BOB"]}, tls=ca.server_context()) as slack,
        FakeKaleyra(
            sid=KALEYRA_SID, api_key=KALEYRA_API_KEY, wabas=(WABA,), latency=latency, tls=ca.server_context()
        ) as kaleyra,
        DelayingProxies([Route(slack.port, delays.slack), Route(kaleyra.port, delays.kaleyra)]) as proxies,
    ):
        slack_url, kaleyra_url = (f"https://127.0.0.1:{port}" for port in proxies.ports)
        env = server.environment(
            slack,
            kaleyra,
            url,
            SLACK_API_URL=f"{slack_url}/api/",
            KALEYRA_BASE_URL=kaleyra_url,
            # How an operator makes a process trust a private CA.
            SSL_CERT_FILE=str(ca.bundle),
        )
        with server.serving(env, workdir, label, figures.problems) as running:
            watcher = load.Watcher(slack)
            for _ in range(plan.warmup):
                figures.problems += load.resend(running.sender, watcher, 1).problems
            kaleyra_before, slack_before, calls_before = kaleyra.connections, slack.connections, len(slack.calls)
            for _ in range(plan.resends):
                done = load.resend(running.sender, watcher, 1)
                figures.acks_ms += done.acks_ms
                figures.e2e_ms += done.e2e_ms
                figures.problems += done.problems
            figures.kaleyra_connections = kaleyra.connections - kaleyra_before
            figures.slack_connections = slack.connections - slack_before
            figures.slack_calls = len(slack.calls) - calls_before
        figures.floor_ms = floor(ca, kaleyra, kaleyra_url, slack_url, plan.floor_samples)
    return figures


def floor(ca: ThrowawayCA, kaleyra: FakeKaleyra, kaleyra_url: str, slack_url: str, samples: int) -> list[float]:
    """Kaleyra's retry_otp then Slack's threaded reply, both on connections opened beforehand."""
    path, body, headers = load.retry_otp_request(kaleyra)
    reply = {"channel": "CFLOOR", "thread_ts": "1700000000.000100", "text": "floor"}
    slack_auth = {"Authorization": f"Bearer {SLACK_BOT_TOKEN}"}
    # TCP_NODELAY, as the bot's clients send: the best case, which is what a floor is.
    nodelay = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
    transport = httpx.HTTPTransport(verify=ca.client_context(), socket_options=nodelay)
    timings: list[float] = []
    with httpx.Client(transport=transport, timeout=load.REQUEST_TIMEOUT_SECONDS) as client:
        for sample in range(samples + 1):
            started = time.perf_counter()
            load.check_sent(client.post(f"{kaleyra_url}{path}", content=body, headers=headers).content)
            client.post(f"{slack_url}/api/chat.postMessage", data=reply, headers=slack_auth).raise_for_status()
            if sample:  # the first opened the connections
                timings.append((time.perf_counter() - started) * MS)
    return timings


def checks(f: NetworkFigures, resends: int) -> list[Check]:
    p = load.percentile
    rows = [
        _connections("Kaleyra", f.kaleyra_connections, resends),
        _connections("Slack", f.slack_connections, resends),
        Check("Slack calls per resend", f"{f.slack_calls / resends:.1f}", None),
        Check("ack, 1 at a time", f"p50 {p(f.acks_ms, 50):.1f}  p90 {p(f.acks_ms, 90):.1f} ms", None),
    ]
    if not (f.e2e_ms and f.floor_ms):
        return rows
    floor, e2e = p(f.floor_ms, 50), p(f.e2e_ms, 50)
    rtt = f"{2 * f.delays.kaleyra * MS:.0f} + {2 * f.delays.slack * MS:.0f} ms round trips"
    rows += [
        Check("floor: open Kaleyra + Slack requests", f"p50 {floor:.1f}  p90 {p(f.floor_ms, 90):.1f} ms ({rtt})", None),
        Check("command → threaded reply", f"p50 {e2e:.1f}  p90 {p(f.e2e_ms, 90):.1f} ms", None),
        Check(
            "over the floor at p50",
            f"{e2e - floor:+.1f} ms  (target < +{TARGET_OVER_FLOOR_MS:.0f} ms)",
            e2e - floor < TARGET_OVER_FLOOR_MS,
        ),
    ]
    return rows


def _connections(host: str, opened: int, resends: int) -> Check:
    text = f"{opened / resends:.2f}  ({opened} over {resends} resends once warm; target 0)"
    return Check(f"new {host} connections per resend", text, opened == 0)
