"""A helper process of the benchmark's own, spoken to over a pipe.

What measures the bot (the sender, the delaying proxies, the attacker) runs outside the process
that holds the fakes: their threads, busy answering the bot, would otherwise take the GIL from
it, and the delay would be counted as the bot's.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from typing import Any


class Child:
    """`target(pipe, *args)` in a spawned process; it stops when it receives None (see `close`)."""

    def __init__(self, target: Callable[..., None], *args: Any) -> None:
        context = multiprocessing.get_context("spawn")
        self._pipe, child = context.Pipe()
        self._process = context.Process(target=target, args=(child, *args), daemon=True)
        self._process.start()

    def receive(self, timeout: float) -> Any:
        if not self._pipe.poll(timeout):
            raise RuntimeError(f"the {self._process.name} helper process did not answer within {timeout} s")
        return self._pipe.recv()

    def ask(self, message: Any, timeout: float) -> Any:
        self._pipe.send(message)
        return self.receive(timeout)

    def close(self, timeout: float = 5.0) -> None:
        try:
            self._pipe.send(None)
        except OSError:
            pass  # already gone
        self._process.join(timeout=timeout)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(timeout=5)
