"""The HTTP/1.1 protocol our API is served with: uvicorn's httptools protocol, each response
leaving in one send.

uvicorn writes a response's status line and headers, then its body, as two writes on the
transport, and uvloop sends each at once: two syscalls and two packets for a response that
fits in one. ``CoalescingTransport`` holds the writes made in one turn of the event loop and
sends them joined at the end of it (or at once past ``FLUSH_BYTES``, so a streamed body never
piles up in memory; and before the connection is closed).
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

# A write this large goes out at once with what is held before it: nothing is gained by
# holding it, and a download streamed without yielding to the loop must not collect in memory.
FLUSH_BYTES = 64 * 1024


class CoalescingTransport:
    """A transport whose writes in one turn of the event loop leave as one."""

    __slots__ = ("_held", "_held_bytes", "_loop", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: list[bytes] = []
        self._held_bytes = 0

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not self._held:
            self._loop.call_soon(self.flush)
        self._held.append(bytes(data))
        self._held_bytes += len(data)
        if self._held_bytes >= FLUSH_BYTES:
            self.flush()

    def writelines(self, chunks: Any) -> None:
        for chunk in chunks:
            self.write(chunk)

    def flush(self) -> None:
        if not self._held:
            return
        held = self._held
        self._held = []
        self._held_bytes = 0
        if not self._transport.is_closing():
            self._transport.write(held[0] if len(held) == 1 else b"".join(held))

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + self._held_bytes

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._held = []
        self._held_bytes = 0
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:
        # Everything else (is_closing, get_extra_info, pause/resume_reading…) as the transport.
        return getattr(self._transport, name)


class CoalescingHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol on a ``CoalescingTransport``."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not registered as asyncio.Transport: a cast, not a check.
        tcp = cast("asyncio.Transport", transport)
        super().connection_made(CoalescingTransport(tcp, self.loop))  # type: ignore[arg-type]
