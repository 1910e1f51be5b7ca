"""A database connection the server ends while idle is "unavailable" (503), whatever the order in
which its last message and its close reach us.

PostgreSQL shutting down (or ``pg_terminate_backend``) sends each backend's client a FATAL
error and closes the socket. A connection idle in a transaction (a request's handler doing
other work) receives the error with no query running; until the close is read, asyncpg
refuses the next statement with an ``InternalClientError`` ("another operation (2) is in
progress"), not a connection error. The fault run met it as a 500 at a request's COMMIT while
PostgreSQL restarted. A proxy holds the close back here, so the order is certain.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import asyncpg
import pytest

from core.embedded import free_port
from core.errors import is_unavailable


@contextlib.asynccontextmanager
async def late_close_proxy(target: str, delay: float) -> AsyncIterator[int]:
    """A TCP proxy to PostgreSQL that passes the server's bytes at once but its close only
    ``delay`` seconds later."""
    host, port = target.rsplit(":", 1)

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, late: bool) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
            if late:
                await asyncio.sleep(delay)
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def handle(
        client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter
    ) -> None:
        server_reader, server_writer = await asyncio.open_connection(host, int(port))
        await asyncio.gather(
            pipe(client_reader, server_writer, late=False),
            pipe(server_reader, client_writer, late=True),
        )

    handlers: set[asyncio.Task[None]] = set()

    def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handlers.add(asyncio.create_task(handle(reader, writer)))

    listen = free_port()
    server = await asyncio.start_server(accept, "127.0.0.1", listen)
    try:
        yield listen
    finally:
        server.close()
        for task in handlers:
            task.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)


async def test_a_connection_ended_by_the_server_while_idle_is_unavailable(
    pg_admin_url: str,
) -> None:
    target = pg_admin_url.split("@", 1)[1].split("/", 1)[0]
    async with late_close_proxy(target, delay=1.0) as port:
        conn = await asyncpg.connect(pg_admin_url.replace(target, f"127.0.0.1:{port}"))
        admin = await asyncpg.connect(pg_admin_url)
        try:
            transaction = conn.transaction()
            await transaction.start()
            pid = conn.get_server_pid()
            await admin.execute("SELECT pg_terminate_backend($1)", pid)
            await asyncio.sleep(0.3)  # the FATAL error has arrived, the close has not
            with pytest.raises(Exception) as raised:
                await transaction.commit()
            assert is_unavailable(raised.value), repr(raised.value)
        finally:
            await admin.close()
            conn.terminate()
