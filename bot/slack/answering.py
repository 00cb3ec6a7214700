"""Acks first: background work waits while a burst of Slack requests is being answered.

Every thread of a worker shares one GIL. In a burst, the work handed off by the first acks
(database, Slack and Kaleyra calls) would take turns with the acks still to come and push
them towards Slack's 3 s limit; the outcomes, which nobody times, can start a little later.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

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
