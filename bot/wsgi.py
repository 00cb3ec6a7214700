"""The WSGI entry point gunicorn's workers import: `bot.wsgi:application`."""

from __future__ import annotations

import gc
import logging

from bot.config import load_settings
from bot.logs import setup_logging
from bot.metrics import metrics_app
from bot.runtime import build_runtime
from bot.slack.app import create_app
from bot.web import make_wsgi_app

_settings = load_settings()
setup_logging(_settings)
_runtime = build_runtime(_settings, check_migrated=False)
_app, _deps = create_app(_runtime)
application = make_wsgi_app(_app, _runtime.engine, _deps.answering, metrics_app())
# What start-up built lives as long as the worker: keep it out of every later collection, whose
# full passes over it would otherwise stall every thread (acks included) for 30-90 ms at a time.
gc.freeze()
gc.enable()


def drain() -> None:
    """Finish in-flight resends and post their outcomes (gunicorn's worker_exit)."""
    logging.getLogger(__name__).info("draining in-flight resends before exit")
    _deps.drain()
    _runtime.close()
