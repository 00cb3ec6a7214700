"""The ASGI entry point gunicorn's uvicorn workers import: `bot.asgi:application`."""

from __future__ import annotations

import gc

from bot.config import load_settings
from bot.logs import setup_logging
from bot.runtime import build_runtime
from bot.serving import build_edge

_settings = load_settings()
setup_logging(_settings)
application, _deps = build_edge(build_runtime(_settings, check_migrated=False))
# What start-up built lives as long as the worker: keep it out of every later collection, whose
# full passes over it would otherwise stall every thread (acks included) for 30-90 ms at a time.
gc.freeze()
gc.enable()
