"""The hall calling system stand-in over HTTP: numbers per hall, windows calling them in order,
signed events delivered in order with the hall's snapshot."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web

from sandbox.hallqueue import build_hallqueue_app
from sandbox.runner import RunningApp, start_app

KEY = "test-hallqueue-key"
SECRET = "test-hallqueue-secret"
AUTH = {"Authorization": f"Bearer {KEY}"}


class Receiver:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.arrived = asyncio.Condition()

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        async with self.arrived:
            self.events.append(json.loads(body))
            self.headers.append({**request.headers, "_body": body.decode()})
            self.arrived.notify_all()
        return web.json_response({"status": "ok"})

    async def wait_for(self, count: int) -> list[dict[str, Any]]:
        async with self.arrived:
            await asyncio.wait_for(self.arrived.wait_for(lambda: len(self.events) >= count), 10)
        return self.events


@pytest_asyncio.fixture
async def system() -> AsyncIterator[tuple[RunningApp, Receiver, aiohttp.ClientSession]]:
    receiver = Receiver()
    sink = web.Application()
    sink.router.add_post("/events", receiver.handle)
    sink_server = await start_app(sink)
    server = await start_app(
        build_hallqueue_app(
            api_key=KEY, callback_url=f"{sink_server.url}/events", callback_secret=SECRET
        )
    )
    try:
        async with aiohttp.ClientSession(base_url=server.url) as http:
            yield server, receiver, http
    finally:
        await server.close()
        await sink_server.close()


async def _take(http: aiohttp.ClientSession, hall: str, request_id: str) -> tuple[int, Any]:
    async with http.post(
        f"/queue/v1/halls/{hall}/tickets",
        json={"requestId": request_id, "itemCode": "X-1", "reference": "booking-1"},
        headers=AUTH,
    ) as resp:
        return resp.status, await resp.json()


async def test_numbers_are_called_in_order_and_every_event_is_signed(system: Any) -> None:
    _, receiver, http = system
    status, first = await _take(http, "H1", "r-1")
    assert status == 201
    assert first["ticket"]["number"] == "A001" and first["ticket"]["position"] == 0
    async with http.post("/_control/halls/H1/walk-in") as resp:
        assert resp.status == 201
        walk_in = (await resp.json())["ticket"]
    assert walk_in["number"] == "B002"
    status, third = await _take(http, "H1", "r-3")
    assert third["ticket"]["position"] == 2 and third["hall"]["waiting"] == 3

    # The same requestId answers the same ticket; no new number, no event.
    status, again = await _take(http, "H1", "r-1")
    assert status == 200 and again["ticket"]["ticketId"] == first["ticket"]["ticketId"]

    async with http.post("/_control/halls/H1/windows/3/call-next") as resp:
        assert (await resp.json())["ticket"]["number"] == "A001"
    # A window calls its next number only once it has finished the last.
    async with http.post("/_control/halls/H1/windows/3/call-next") as resp:
        assert resp.status == 409 and (await resp.json())["code"] == "WINDOW_BUSY"
    async with http.post("/_control/halls/H1/windows/4/call-next") as resp:
        assert (await resp.json())["ticket"]["number"] == "B002"
    async with http.get(f"/queue/v1/tickets/{third['ticket']['ticketId']}", headers=AUTH) as resp:
        assert (await resp.json())["ticket"]["position"] == 0
    async with http.post("/_control/halls/H1/windows/3/complete") as resp:
        assert (await resp.json())["ticket"]["status"] == "completed"
    async with http.post("/_control/halls/H1/windows/4/skip") as resp:
        assert (await resp.json())["ticket"]["status"] == "skipped"

    events = await receiver.wait_for(7)
    assert [e["sequence"] for e in events] == list(range(1, 8))
    assert [e["type"] for e in events] == [
        "ticket.issued",
        "ticket.issued",
        "ticket.issued",
        "ticket.called",
        "ticket.called",
        "ticket.completed",
        "ticket.skipped",
    ]
    called = events[3]
    assert called["ticket"]["requestId"] == "r-1" and called["ticket"]["window"] == "3"
    assert called["hall"]["servedThrough"] == 1 and called["hall"]["waiting"] == 2
    for headers in receiver.headers:
        expected = hmac.new(
            SECRET.encode(),
            headers["X-Queue-Timestamp"].encode() + b"." + headers["_body"].encode(),
            hashlib.sha256,
        ).hexdigest()
        assert headers["X-Queue-Signature"] == expected


async def test_the_api_needs_its_key_and_refuses_bad_input(system: Any) -> None:
    _, _, http = system
    async with http.post("/queue/v1/halls/H1/tickets", json={"requestId": "r"}) as resp:
        assert resp.status == 401
    async with http.post(
        "/queue/v1/halls/H1/tickets", json={"requestId": "r", "x": 1}, headers=AUTH
    ) as resp:
        assert resp.status == 400
    async with http.post(
        "/queue/v1/halls/bad%20code/tickets", json={"requestId": "r"}, headers=AUTH
    ) as resp:
        assert resp.status == 400
    async with http.post("/_control/halls/H1/windows/1/call-next") as resp:
        assert resp.status == 409 and (await resp.json())["code"] == "QUEUE_EMPTY"
    async with http.get("/queue/v1/tickets/nope", headers=AUTH) as resp:
        assert resp.status == 404


async def test_held_deliveries_go_out_in_order_once_released_and_duplicates_repeat(
    system: Any,
) -> None:
    _, receiver, http = system
    async with http.post("/_control/callback-faults", json={"hold": True, "duplicate": True}):
        pass
    await _take(http, "H2", "a")
    await _take(http, "H2", "b")
    await asyncio.sleep(0.2)
    assert receiver.events == []
    async with http.post("/_control/callback-faults", json={"duplicate": True}):
        pass
    events = await receiver.wait_for(4)
    assert [e["sequence"] for e in events] == [1, 1, 2, 2]
    async with http.get("/_control/callbacks") as resp:
        assert all(d["delivered"] for d in (await resp.json())["deliveries"])


@pytest.mark.parametrize("windows", [1, 3])
async def test_the_snapshot_reports_the_hall_windows(system: Any, windows: int) -> None:
    _, _, http = system
    async with http.post(
        "/_control/halls/H3", json={"windows": windows, "serviceSeconds": 120}
    ) as resp:
        body = await resp.json()
    assert body["openWindows"] == windows and body["avgServiceSeconds"] == 120
