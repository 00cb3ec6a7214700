"""Local TCP proxies on 127.0.0.1 that make loopback look like a network with a round trip.

Every chunk is held for the one-way delay in each direction, in order, without limiting bandwidth,
so a round trip costs twice the delay. A new connection also pays TCP's own handshake: what the
client sends first reaches the server no sooner than three one-way delays after it connected
(SYN, SYN-ACK, then the data), as on a real network. TLS passes through untouched.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from types import TracebackType
from typing import Self

from bench.child import Child

READ_SIZE = 65536
START_TIMEOUT_SECONDS = 15.0


@dataclass(frozen=True)
class Route:
    target_port: int  # on 127.0.0.1
    delay_seconds: float  # one way


class DelayingProxies:
    """One proxy per route, all in one helper process; `ports[i]` is where route i listens."""

    def __init__(self, routes: Sequence[Route]) -> None:
        self._child = Child(_serve, list(routes))
        self.ports: list[int] = self._child.receive(START_TIMEOUT_SECONDS)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._child.close()


def _serve(pipe: Connection, routes: list[Route]) -> None:
    asyncio.run(_proxy_until_told(pipe, routes))


async def _proxy_until_told(pipe: Connection, routes: list[Route]) -> None:
    servers = []
    for route in routes:

        async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, route: Route = route) -> None:
            # Cancelled when the loop ends; Python 3.11's streams would log that as an error.
            with contextlib.suppress(asyncio.CancelledError):
                await _relay(reader, writer, route)

        servers.append(await asyncio.start_server(accept, "127.0.0.1", 0))
    pipe.send([server.sockets[0].getsockname()[1] for server in servers])
    loop = asyncio.get_running_loop()
    told = asyncio.Event()
    # The pipe blocks: a thread waits on it and wakes the loop.
    threading.Thread(target=lambda: (pipe.recv(), loop.call_soon_threadsafe(told.set)), daemon=True).start()
    await told.wait()
    for server in servers:
        server.close()


async def _relay(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter, route: Route) -> None:
    loop = asyncio.get_running_loop()
    connected = loop.time()
    delay = route.delay_seconds
    try:
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", route.target_port)
    except OSError:
        client_writer.close()
        return
    try:
        await asyncio.gather(
            _forward(client_reader, upstream_writer, delay, not_before=connected + 3 * delay),
            _forward(upstream_reader, client_writer, delay, not_before=0.0),
        )
    finally:
        for writer in (client_writer, upstream_writer):
            writer.close()


async def _forward(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float, not_before: float) -> None:
    """Copy one direction, each chunk `delay` after it arrived; an empty chunk stands for the end."""
    loop = asyncio.get_running_loop()
    due: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def read() -> None:
        chunk = b"-"
        while chunk:
            try:
                chunk = await reader.read(READ_SIZE)
            except OSError:
                chunk = b""
            due.put_nowait((max(loop.time() + delay, not_before), chunk))

    reading = asyncio.create_task(read())
    try:
        while True:
            when, chunk = await due.get()
            await asyncio.sleep(max(0.0, when - loop.time()))
            if not chunk:
                if writer.can_write_eof():
                    writer.write_eof()
                return
            writer.write(chunk)
            await writer.drain()
    except (OSError, RuntimeError):
        return  # the other side went away (RuntimeError: EOF on a closing transport): the relay closes both
    finally:
        reading.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reading
