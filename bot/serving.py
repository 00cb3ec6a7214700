"""`serve` (gunicorn with uvicorn workers, behind the edge) and `socket` (Socket Mode): one app, stopped gracefully."""

from __future__ import annotations

import logging
import os
import signal
import sys
import tempfile
import threading
from typing import TYPE_CHECKING

from bot.check import start_line
from bot.config import Settings
from bot.logs import setup_logging
from bot.recovery import announce_interrupted_at_start
from bot.runtime import Runtime, build_runtime, recover_interrupted_attempts

if TYPE_CHECKING:
    from bot.slack.deps import SlackDeps
    from bot.web import Edge

log = logging.getLogger(__name__)


def run_serving_command(command: str, settings: Settings) -> int:
    """Check everything a server needs, then serve; a problem is one line and a non-zero exit."""
    settings.require_slack(socket_mode=command == "socket")
    settings.require_kaleyra()
    setup_logging(settings)
    runtime = build_runtime(settings)
    log.info("%s", start_line(settings, command))  # a token Slack refuses stops here, in one line
    recovered = recover_interrupted_attempts(runtime)
    if recovered:
        log.warning("marked %s interrupted attempts as unknown", recovered)
    announce_interrupted_at_start(settings, runtime.sessions)
    if command == "socket":
        return run_socket_mode(runtime)
    runtime.engine.dispose()
    exec_gunicorn(settings)
    return 0  # pragma: no cover (exec does not return)


def exec_gunicorn(settings: Settings) -> None:
    """Replace this process with gunicorn: its master then holds no app, engine or Slack client.

    Workers import `bot.asgi` after the fork, so each has its own connections and threads.
    """
    if settings.web_concurrency > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="resend-otp-metrics-")
    sys.stdout.flush()
    sys.stderr.flush()
    argv = [sys.executable, "-m", "gunicorn", "--config", "python:bot.gunicorn_conf", "bot.asgi:application"]
    os.execv(sys.executable, argv)


def build_edge(runtime: Runtime) -> tuple[Edge, SlackDeps]:
    """The ASGI application a worker serves, and what its listeners share."""
    # Imported here: `serve`'s checks before gunicorn starts need none of Bolt, aiohttp or uvicorn.
    from bot.metrics import metrics_app
    from bot.slack.app import create_app
    from bot.slack.http import http_handler
    from bot.web import Edge, EdgeParts

    app, deps = create_app(runtime)

    def shut_down() -> None:
        log.info("draining in-flight resends before exit")
        deps.drain()
        runtime.close()

    settings = runtime.settings
    edge = Edge(
        EdgeParts(
            signing_secret=settings.slack_signing_secret.reveal(),
            slack=http_handler(app, deps.answering),
            first_sightings=runtime.service.first_sightings,
            answering=deps.answering.request,
            database_answers=runtime.service.database_answers,
            metrics=metrics_app(),
            metrics_token=settings.metrics_token.reveal(),
            threads=settings.web_threads,
            on_shutdown=shut_down,
        )
    )
    return edge, deps


def run_socket_mode(runtime: Runtime) -> int:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.slack.app import create_app

    app, deps = create_app(runtime)
    handler = SocketModeHandler(app, app_token=runtime.settings.slack_app_token.reveal())
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    handler.connect()
    log.info("connected over Socket Mode")
    stop.wait()
    log.info("stopping: no new requests; finishing in-flight resends")
    handler.close()
    deps.drain()
    runtime.close()
    return 0
