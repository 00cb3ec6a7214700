"""`serve` (gunicorn, threaded workers) and `socket` (Socket Mode): the same app, stopped gracefully."""

from __future__ import annotations

import logging
import os
import signal
import sys
import tempfile
import threading

from bot.config import Settings
from bot.logs import setup_logging
from bot.recovery import announce_interrupted_at_start
from bot.runtime import Runtime, build_runtime, recover_interrupted_attempts

log = logging.getLogger(__name__)


def run_serving_command(command: str, settings: Settings) -> int:
    """Check everything a server needs, then serve; a problem is one line and a non-zero exit."""
    settings.require_slack(socket_mode=command == "socket")
    settings.require_kaleyra()
    setup_logging(settings)
    runtime = build_runtime(settings)
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

    Workers import `bot.wsgi` after the fork, so each has its own connections and threads.
    """
    if settings.web_concurrency > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="resend-otp-metrics-")
    sys.stdout.flush()
    sys.stderr.flush()
    argv = [sys.executable, "-m", "gunicorn", "--config", "python:bot.gunicorn_conf", "bot.wsgi:application"]
    os.execv(sys.executable, argv)


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
    return 0
