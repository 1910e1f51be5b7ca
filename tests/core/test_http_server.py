"""The API's responses leave in one send: what is written in one turn of the event loop is
joined, a large write is not held, and nothing held is lost when the connection closes."""

from __future__ import annotations

import asyncio
import socket

import httpx

from core.http_server import FLUSH_BYTES, CoalescingTransport


class Sends:
    """The far end of a real socket pair, read as the kernel delivered it."""

    def __init__(self, far: socket.socket) -> None:
        self.far = far
        far.setblocking(False)

    def received(self) -> bytes:
        chunks = []
        while True:
            try:
                chunk = self.far.recv(1 << 20)
            except BlockingIOError:
                return b"".join(chunks)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)


async def _coalescing() -> tuple[CoalescingTransport, asyncio.Transport, Sends, list[bytes]]:
    near, far = socket.socketpair()
    loop = asyncio.get_running_loop()
    transport, _ = await loop.connect_accepted_socket(asyncio.Protocol, near)
    writes: list[bytes] = []
    real_write = transport.write

    def counted(data: bytes) -> None:
        writes.append(bytes(data))
        real_write(data)

    transport.write = counted  # type: ignore[method-assign]
    return CoalescingTransport(transport, loop), transport, Sends(far), writes


async def test_the_writes_of_one_turn_leave_as_one() -> None:
    coalescing, transport, far, writes = await _coalescing()
    coalescing.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
    coalescing.write(b"{}")
    assert writes == []  # held until the turn ends
    assert coalescing.get_write_buffer_size() == 40
    await asyncio.sleep(0)
    assert writes == [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}"]
    assert far.received() == writes[0]
    transport.close()


async def test_a_large_write_goes_at_once_with_what_was_held() -> None:
    coalescing, transport, _far, writes = await _coalescing()
    coalescing.write(b"head\r\n\r\n")
    coalescing.write(b"x" * FLUSH_BYTES)
    assert writes == [b"head\r\n\r\n" + b"x" * FLUSH_BYTES]  # not held for the turn
    assert coalescing.get_write_buffer_size() == transport.get_write_buffer_size()
    await asyncio.sleep(0)
    assert len(writes) == 1  # the turn's flush finds nothing left
    transport.close()


async def test_closing_sends_what_is_held_and_aborting_drops_it() -> None:
    coalescing, transport, far, writes = await _coalescing()
    coalescing.write(b"HTTP/1.1 400 Bad Request\r\n\r\n")
    coalescing.close()
    await asyncio.sleep(0.01)
    assert far.received() == b"HTTP/1.1 400 Bad Request\r\n\r\n"
    assert transport.is_closing()

    coalescing, transport, far, writes = await _coalescing()
    coalescing.write(b"never sent")
    coalescing.abort()
    await asyncio.sleep(0.01)
    assert writes == [] and far.received() == b""


async def test_the_served_api_answers_one_request_after_another_on_one_connection(
    live: httpx.AsyncClient,
) -> None:
    answers = [await live.get("/healthz") for _ in range(5)]
    head = await live.head("/healthz")
    assert [a.status_code for a in answers] == [200] * 5
    assert len({a.content for a in answers}) == 1
    assert head.content == b""
