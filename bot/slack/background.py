"""Work that runs after Slack's ack, on threads of our own.

Bolt's listener threads must stay free to acknowledge the next request: a listener
acks, hands the slow part (Slack calls, the Kaleyra call) to a pool here, and returns.

Work here also lets a burst of acks go first (bot.slack.answering).
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from bot.slack.answering import Answering

log = logging.getLogger(__name__)

# Background work never waits longer than this for acks, however long a burst lasts.
ACKS_FIRST_SECONDS = 1.0


class Background:
    def __init__(self, name: str, max_workers: int, answering: Answering | None = None) -> None:
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix=name)
        self._answering = answering

    def submit(self, work: Callable[..., Any], *args: Any) -> Future[Any]:
        # Carry the request id (a context variable) into the thread that does the work.
        context = contextvars.copy_context()
        mark = self._answering.mark() if self._answering is not None else 0
        return self._pool.submit(context.run, self._run, mark, work, *args)

    def _run(self, mark: int, work: Callable[..., Any], *args: Any) -> Any:
        if self._answering is not None:
            self._answering.wait_until_idle(mark, ACKS_FIRST_SECONDS)
        try:
            return work(*args)
        except Exception:
            log.exception("background work %s failed", getattr(work, "__name__", work))
            raise

    def drain(self) -> None:
        """Finish everything already submitted (in-flight Kaleyra calls post their outcomes)."""
        self._pool.shutdown(wait=True)
