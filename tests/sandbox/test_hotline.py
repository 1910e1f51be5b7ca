"""The 12345 hotline stand-in over real HTTP on loopback: tickets filed under a request id,
moved by the control API, every step a signed callback delivered in order until acknowledged.

The callback target is a small aiohttp receiver of the test's own, which checks signatures
with ``hmac`` from the standard library (not the stand-in's code)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from sandbox.hotline.app import build_hotline_app
from sandbox.runner import RunningApp, start_app

KEY = "k-hotline"
SECRET = "s-hotline"
AUTH = {"Authorization": f"Bearer {KEY}"}
NUMBER = re.compile(r"12345-\d{8}-\d{6}")


@dataclass
class Receiver:
    server: RunningApp | None = None
    events: list[dict[str, Any]] = field(default_factory=list)
    bad_signatures: int = 0
    fail_next: int = 0

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"{self.server.url}/hook"

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        timestamp = request.headers["X-12345-Timestamp"]
        expected = hmac.new(SECRET.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
        if not hmac.compare_digest(expected.hexdigest(), request.headers["X-12345-Signature"]):
            self.bad_signatures += 1
            return web.json_response({"error": "signature"}, status=401)
        if self.fail_next:
            self.fail_next -= 1
            return web.json_response({"error": "down"}, status=503)
        self.events.append(await request.json())
        return web.json_response({"status": "ok"})


@pytest.fixture
async def stand_in() -> AsyncIterator[tuple[aiohttp.ClientSession, str, Receiver]]:
    receiver = Receiver()
    hook = web.Application()
    hook.router.add_post("/hook", receiver.handle)
    receiver.server = await start_app(hook)
    server = await start_app(
        build_hotline_app(
            api_key=KEY,
            callback_secret=SECRET,
            callback_url=receiver.url,
            callback_retry_base=0.02,
        )
    )
    try:
        async with aiohttp.ClientSession() as http:
            yield http, server.url, receiver
    finally:
        await server.close()
        await receiver.server.close()


async def wait_for(predicate: Callable[[], Awaitable[bool] | bool], what: str) -> None:
    deadline = time.monotonic() + 10
    while True:
        result = predicate()
        if await result if isinstance(result, Awaitable) else result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def ticket(request_id: str = "req-1", **over: Any) -> dict[str, Any]:
    return {
        "requestId": request_id,
        "kind": "complaint",
        "title": "窗口办理超时",
        "content": "提交材料后十个工作日仍未办结。",
        "citizen": {"name": "张三", "phone": "13800000000"},
        "subject": {"type": "item", "code": "ITEM-1", "name": "住房公积金提取"},
        "department": {"code": "DEPT-1", "name": "金城住房公积金管理中心"},
        **over,
    }


async def test_a_ticket_moves_through_every_step_with_signed_ordered_callbacks(
    stand_in: tuple[aiohttp.ClientSession, str, Receiver],
) -> None:
    http, url, receiver = stand_in
    async with http.post(f"{url}/hotline/v1/tickets", json=ticket(), headers=AUTH) as resp:
        assert resp.status == 201
        created = await resp.json()
    number = created["ticketNumber"]
    assert NUMBER.fullmatch(number) and created["status"] == "received"
    receiver.fail_next = 2  # the receiver is down for two attempts: retried, still in order
    control = f"{url}/_control/tickets/{number}"
    assert (await http.post(f"{control}/accept")).status == 200
    dept = {"code": "DEPT-2", "name": "金城市人力资源和社会保障局"}
    assert (await http.post(f"{control}/transfer", json={"department": dept})).status == 200
    # Replying before acceptance is impossible; after transfer it is the next step.
    async with http.post(f"{control}/reply", json={"text": "已核实并办结。"}) as resp:
        assert resp.status == 200
    async with http.post(f"{control}/accept") as resp:
        assert resp.status == 409 and (await resp.json())["code"] == "INVALID_STATE"
    await wait_for(lambda: len(receiver.events) == 4, "four events")
    assert [e["sequence"] for e in receiver.events] == [1, 2, 3, 4]
    assert [e["type"] for e in receiver.events] == [
        "received",
        "accepted",
        "transferred",
        "replied",
    ]
    assert receiver.events[2]["department"] == dept
    assert receiver.events[3]["reply"] == "已核实并办结。"
    assert {e["requestId"] for e in receiver.events} == {"req-1"}
    assert receiver.bad_signatures == 0

    # Satisfaction once, after the reply; the same rating again is answered as before.
    rate = f"{url}/hotline/v1/tickets/{number}/satisfaction"
    async with http.post(rate, json={"result": "satisfied"}, headers=AUTH) as resp:
        assert resp.status == 200 and (await resp.json())["satisfaction"] == "satisfied"
    async with http.post(rate, json={"result": "satisfied"}, headers=AUTH) as resp:
        assert resp.status == 200
    async with http.post(rate, json={"result": "dissatisfied"}, headers=AUTH) as resp:
        assert resp.status == 409 and (await resp.json())["code"] == "ALREADY_RATED"
    await wait_for(lambda: len(receiver.events) == 5, "the rating's event")
    assert receiver.events[4]["type"] == "rated"
    assert receiver.events[4]["satisfaction"] == "satisfied"


async def test_request_ids_make_filing_idempotent_and_the_api_needs_its_key(
    stand_in: tuple[aiohttp.ClientSession, str, Receiver],
) -> None:
    http, url, receiver = stand_in
    async with http.post(f"{url}/hotline/v1/tickets", json=ticket()) as resp:
        assert resp.status == 401
    async with http.post(f"{url}/hotline/v1/tickets", json=ticket(), headers=AUTH) as resp:
        assert resp.status == 201
        first = await resp.json()
    async with http.post(f"{url}/hotline/v1/tickets", json=ticket(), headers=AUTH) as resp:
        assert resp.status == 200 and (await resp.json())["ticketNumber"] == first["ticketNumber"]
    other = ticket(content="另一件事")
    async with http.post(f"{url}/hotline/v1/tickets", json=other, headers=AUTH) as resp:
        assert resp.status == 409 and (await resp.json())["code"] == "REQUEST_ID_REUSED"
    async with http.post(
        f"{url}/hotline/v1/tickets", json={**ticket("req-2"), "kind": "praise"}, headers=AUTH
    ) as resp:
        assert resp.status == 400 and (await resp.json())["code"] == "INVALID_PARAMETER"
    rate = f"{url}/hotline/v1/tickets/{first['ticketNumber']}/satisfaction"
    async with http.post(rate, json={"result": "satisfied"}, headers=AUTH) as resp:
        assert resp.status == 409 and (await resp.json())["code"] == "NOT_REPLIED"
    async with http.get(f"{url}/_control/tickets") as resp:
        assert len((await resp.json())["tickets"]) == 1
    await wait_for(lambda: len(receiver.events) == 1, "one received event")


async def test_callback_faults_duplicate_and_bad_signature(
    stand_in: tuple[aiohttp.ClientSession, str, Receiver],
) -> None:
    http, url, receiver = stand_in
    await http.post(f"{url}/_control/callback-faults", json={"duplicate": True})
    async with http.post(f"{url}/hotline/v1/tickets", json=ticket(), headers=AUTH) as resp:
        number = (await resp.json())["ticketNumber"]
    await wait_for(lambda: len(receiver.events) == 2, "two copies")
    assert receiver.events[0] == receiver.events[1]
    await http.post(f"{url}/_control/callback-faults", json={"badSignature": True})
    await http.post(f"{url}/_control/tickets/{number}/accept")
    await wait_for(lambda: receiver.bad_signatures >= 2, "refused deliveries")
    await http.delete(f"{url}/_control/callback-faults")
    await wait_for(lambda: len(receiver.events) == 3, "the accepted event, signed right")
    async with http.get(f"{url}/_control/callbacks") as resp:
        deliveries = (await resp.json())["deliveries"]
    assert deliveries[-1]["attempts"] >= 3 and deliveries[-1]["delivered"] is True
    # Reset: nothing left.
    await http.post(f"{url}/_control/reset")
    async with http.get(f"{url}/_control/tickets") as resp:
        assert (await resp.json())["tickets"] == []


async def test_the_scripted_processor_takes_a_ticket_to_closed() -> None:
    receiver = Receiver()
    hook = web.Application()
    hook.router.add_post("/hook", receiver.handle)
    receiver.server = await start_app(hook)
    server = await start_app(
        build_hotline_app(
            api_key=KEY,
            callback_secret=SECRET,
            callback_url=receiver.url,
            auto_process_seconds=0.05,
            callback_retry_base=0.02,
        )
    )
    try:
        async with aiohttp.ClientSession() as http:
            body = ticket(department=None)
            async with http.post(f"{server.url}/hotline/v1/tickets", json=body, headers=AUTH):
                pass
            await wait_for(lambda: len(receiver.events) == 5, "five steps")
        assert [e["status"] for e in receiver.events] == [
            "received",
            "accepted",
            "transferred",
            "replied",
            "closed",
        ]
        assert receiver.events[2]["department"]["name"] == "12345热线办公室"
    finally:
        await server.close()
        await receiver.server.close()
