"""gunicorn's settings for `serve`: threaded workers, and a shutdown that lets resends finish."""

from __future__ import annotations

import gc
import os
from typing import Any

from bot.config import load_settings

_settings = load_settings()

bind = f"0.0.0.0:{_settings.port}"
worker_class = "gthread"
workers = _settings.web_concurrency
# Request threads only verify, ack and hand off, so a few dozen absorb a burst of commands.
threads = _settings.web_threads
# In-flight Kaleyra calls must finish and post their outcomes before a worker is killed.
graceful_timeout = int(_settings.kaleyra_timeout_seconds) + 30
timeout = 60
keepalive = 5
accesslog = None
errorlog = "-"
loglevel = _settings.log_level.lower()
control_socket_disable = True


def post_fork(_server: Any, _worker: Any) -> None:
    # The worker imports and builds the app next: hundreds of thousands of objects, none of them
    # garbage; collecting while they pile up only costs start-up time. bot.wsgi turns it back on.
    gc.disable()


def worker_exit(_server: Any, _worker: Any) -> None:
    from bot.wsgi import drain

    drain()


def child_exit(_server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
