"""The edge's replay checks, batched: signed requests that arrive together share one transaction.

Every signed request writes its signature to the database before it is dispatched. In a burst
(an incident: twenty people run the command at once) one write transaction each would queue the
acks behind one another on the database's write lock; instead, the requests that arrive while a
check is running are checked together in the next one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


class Sightings:
    """Lives on the event loop: `first` is awaited there, `check` runs wherever `run` sends it."""

    def __init__(
        self,
        check: Callable[[list[str]], list[bool]],
        run: Callable[[Callable[[list[str]], list[bool]], list[str]], Awaitable[list[bool]]],
    ) -> None:
        self._check = check
        self._run = run
        self._waiting: list[tuple[str, asyncio.Future[bool]]] = []
        self._checking = False

    async def first(self, key: str) -> bool:
        """True when no process handled `key` before (a request's signature, with its timestamp)."""
        answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append((key, answer))
        if not self._checking:
            self._checking = True
            asyncio.get_running_loop().create_task(self._check_waiting())
        return await answer

    async def _check_waiting(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                try:
                    firsts = await self._run(self._check, [key for key, _ in batch])
                except Exception as exc:  # the callers decide what a failed check means
                    for _, answer in batch:
                        if not answer.done():
                            answer.set_exception(exc)
                    continue
                for (_, answer), first in zip(batch, firsts, strict=True):
                    # A caller that gave up waiting (its deadline passed) has cancelled its answer.
                    if not answer.done():
                        answer.set_result(first)
        finally:
            self._checking = False
