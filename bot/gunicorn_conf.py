"""gunicorn's settings for `serve`: uvicorn workers (asyncio: an idle or slow client holds no thread)."""

from __future__ import annotations

import gc
import os
from typing import Any

from bot.config import load_settings

_settings = load_settings()

bind = f"[{_settings.host}]:{_settings.port}" if ":" in _settings.host else f"{_settings.host}:{_settings.port}"
worker_class = "uvicorn_worker.UvicornWorker"
workers = _settings.web_concurrency
# In-flight Kaleyra calls must finish and post their outcomes (the app's lifespan shutdown drains
# them) before a worker is killed.
graceful_timeout = int(_settings.kaleyra_timeout_seconds) + 30
timeout = 60
keepalive = 5
accesslog = None
errorlog = "-"
loglevel = _settings.log_level.lower()
control_socket_disable = True


def post_fork(_server: Any, _worker: Any) -> None:
    # The worker imports and builds the app next: hundreds of thousands of objects, none of them
    # garbage; collecting while they pile up only costs start-up time. bot.asgi turns it back on.
    gc.disable()


def child_exit(_server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
