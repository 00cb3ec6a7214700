"""Work that runs after Slack's ack, on threads of our own.

Bolt's listener threads must stay free to acknowledge the next request: a listener
acks, hands the slow part (Slack calls, the Kaleyra call) to a pool here, and returns.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

log = logging.getLogger(__name__)


class Background:
    def __init__(self, name: str, max_workers: int) -> None:
        self._name = name
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix=name)

    def submit(self, work: Callable[..., Any], *args: Any) -> Future[Any]:
        # Carry the request id (a context variable) into the thread that does the work.
        context = contextvars.copy_context()
        return self._pool.submit(context.run, self._run, work, *args)

    def _run(self, work: Callable[..., Any], *args: Any) -> Any:
        try:
            return work(*args)
        except Exception:
            log.exception("background work %s failed", getattr(work, "__name__", work))
            raise

    def drain(self) -> None:
        """Finish everything already submitted (in-flight Kaleyra calls post their outcomes)."""
        self._pool.shutdown(wait=True)
