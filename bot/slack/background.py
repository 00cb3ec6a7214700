"""Work that runs after Slack's ack, on threads of our own.

Bolt's listener threads must stay free to acknowledge the next request: a listener
acks, hands the slow part (Slack calls, the Kaleyra call) to a pool here, and returns.

Handing off is not enough on its own: every thread of a worker shares one GIL, so in a burst
the work handed off by the first acks would take turns with the acks still to come and push
them past Slack's patience. Work here therefore waits, briefly, until no Slack request is
being answered (`Answering`): acks first, outcomes a few milliseconds later.
"""

from __future__ import annotations

import contextvars
import logging
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

log = logging.getLogger(__name__)

# Background work never waits longer than this for acks, however long a burst lasts.
ACKS_FIRST_SECONDS = 0.5


class Answering:
    """The Slack requests being answered right now, so that background work can let them go first."""

    def __init__(self) -> None:
        self._count = 0
        self._changed = threading.Condition()

    @contextmanager
    def request(self) -> Iterator[None]:
        with self._changed:
            self._count += 1
        try:
            yield
        finally:
            with self._changed:
                self._count -= 1
                if not self._count:
                    self._changed.notify_all()

    def wait_until_idle(self, at_most: float) -> None:
        with self._changed:
            self._changed.wait_for(lambda: not self._count, timeout=at_most)


class Background:
    def __init__(self, name: str, max_workers: int, answering: Answering | None = None) -> None:
        self._name = name
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix=name)
        self._answering = answering

    def submit(self, work: Callable[..., Any], *args: Any) -> Future[Any]:
        # Carry the request id (a context variable) into the thread that does the work.
        context = contextvars.copy_context()
        return self._pool.submit(context.run, self._run, work, *args)

    def _run(self, work: Callable[..., Any], *args: Any) -> Any:
        if self._answering is not None:
            self._answering.wait_until_idle(ACKS_FIRST_SECONDS)
        try:
            return work(*args)
        except Exception:
            log.exception("background work %s failed", getattr(work, "__name__", work))
            raise

    def drain(self) -> None:
        """Finish everything already submitted (in-flight Kaleyra calls post their outcomes)."""
        self._pool.shutdown(wait=True)
