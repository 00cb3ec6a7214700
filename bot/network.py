"""One event loop per process that owns the bot's long-lived connections to Kaleyra and Slack.

The listeners, the use case and the CLI are synchronous (SQLAlchemy's sessions, Bolt's `App`);
their network calls run here, on one loop that keeps its pooled connections open between
calls, so a resend pays no TCP or TLS handshake once the bot has talked to a host.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import ssl
import threading
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import Future
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

# A close that waits on a peer that stopped answering must not hold a shutdown for long.
CLOSE_SECONDS = 5.0


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The CA bundle loaded once per process (SSL_CERT_FILE/SSL_CERT_DIR are honoured), shared by every client.

    Building a context per connection reloads the bundle: tens of ms on every Slack or Kaleyra call.
    """
    return ssl.create_default_context()


class NetworkLoop:
    """A daemon thread running an asyncio loop; `run` executes a coroutine there and waits for it."""

    def __init__(self, name: str = "network") -> None:
        self._name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closers: list[Callable[[], Awaitable[object]]] = []

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run on the loop and wait; the coroutine carries its own deadline."""
        return self.submit(coroutine).result()

    def submit(self, coroutine: Coroutine[Any, Any, T]) -> Future[T]:
        """Start on the loop without waiting (opening a connection ahead of a resend)."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._running())

    def on_close(self, closer: Callable[[], Awaitable[object]]) -> None:
        """Close a client that lives on this loop when the loop stops."""
        with self._lock:
            self._closers.append(closer)

    def close(self) -> None:
        """Close the clients' connections, then stop the thread."""
        with self._lock:
            loop, thread, closers = self._loop, self._thread, list(self._closers)
            self._loop, self._thread, self._closers = None, None, []
        if loop is None or thread is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(_close_all(closers), loop).result(CLOSE_SECONDS * 2)
        except Exception:  # a broken peer must not stop the process from exiting
            log.warning("closing network clients failed", exc_info=True)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(CLOSE_SECONDS)
        loop.close()

    def _running(self) -> asyncio.AbstractEventLoop:
        # Started on first use: most CLI commands never call out, and a gunicorn master must not
        # hold a thread across its fork.
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name=self._name, daemon=True)
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop


async def _close_all(closers: list[Callable[[], Awaitable[object]]]) -> None:
    for closer in closers:
        try:
            async with asyncio.timeout(CLOSE_SECONDS):
                await closer()
        except Exception:
            log.warning("closing a network client failed", exc_info=True)
