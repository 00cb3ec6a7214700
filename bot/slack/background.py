"""Work that runs after Slack's ack, on threads of our own, letting a burst of acks go first.

Listeners must stay free to acknowledge the next request: a listener acks, hands the slow
part (Slack calls, the Kaleyra call) to a pool here, and returns.

Every thread of a worker shares one GIL. In a burst, the work handed off by the first acks
(database, Slack and Kaleyra calls) would take turns with the acks still to come and push
them towards Slack's 3 s limit; the outcomes, which nobody times, can start a little later.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

log = logging.getLogger(__name__)

# Background work never waits longer than this for acks, however long a burst lasts.
ACKS_FIRST_SECONDS = 1.0
# Without a burst (no request arrived since the work was handed off), work starts as soon as
# the request that handed it off has been answered. In a burst, it waits for this long a lull,
# so the gaps between requests accepted one by one don't let it in halfway through.
QUIET_SECONDS = 0.01


class Answering:
    """The Slack requests being answered now, and when that last changed."""

    def __init__(self) -> None:
        self._count = 0
        self._started = 0
        self._changed_at = 0.0
        self._changed = threading.Condition()

    @contextmanager
    def request(self) -> Iterator[None]:
        """Count one request for as long as it is being answered."""
        with self._changed:
            self._count += 1
            self._started += 1
            self._changed_at = time.monotonic()
        try:
            yield
        finally:
            with self._changed:
                self._count -= 1
                self._changed_at = time.monotonic()
                self._changed.notify_all()

    def wait_for_acks(self, at_most: float = ACKS_FIRST_SECONDS) -> None:
        """Return once no request is being answered, or after `at_most`.

        For store work nobody waits on any more (an outcome already told): it goes after the acks.
        """
        deadline = time.monotonic() + at_most
        with self._changed:
            while self._count and (left := deadline - time.monotonic()) > 0:
                self._changed.wait(left)

    def mark(self) -> int:
        """Taken when work is handed off: requests started after it mean a burst."""
        with self._changed:
            return self._started

    def wait_until_idle(self, mark: int, at_most: float) -> None:
        """Return once no request is being answered (after a lull, in a burst), or after `at_most`."""
        deadline = time.monotonic() + at_most
        with self._changed:
            while (left := deadline - time.monotonic()) > 0:
                if self._count:
                    self._changed.wait(left)
                    continue
                if self._started == mark:
                    return
                lull = self._changed_at + QUIET_SECONDS - time.monotonic()
                if lull <= 0:
                    return
                self._changed.wait(min(lull, left))


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
