"""The 12345 hotline stand-in over real HTTP on loopback: tickets filed under a request id,
moved by the control API, every step a signed callback delivered in order until acknowledged.

The callback target is the test's own receiver (``tests.fixtures.signed_callbacks``)."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web

from sandbox.hotline.app import build_hotline_app
from tests.fixtures.signed_callbacks import Receiver, StandIn, serving

KEY = "k-hotline"
SECRET = "s-hotline"
AUTH = {"Authorization": f"Bearer {KEY}"}
PREFIX = "X-12345"
NUMBER = re.compile(r"12345-\d{8}-\d{6}")


def hotline(**options: Any) -> Callable[[Receiver], web.Application]:
    def build(receiver: Receiver) -> web.Application:
        return build_hotline_app(
            api_key=KEY,
            callback_secret=SECRET,
            callback_url=receiver.url,
            callback_retry_base=0.02,
            **options,
        )

    return build


@pytest.fixture
async def stand_in() -> AsyncIterator[StandIn]:
    async with serving(Receiver(SECRET, PREFIX), hotline()) as running:
        yield running


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
    stand_in: StandIn,
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
    stand_in: StandIn,
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
    stand_in: StandIn,
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
    async with serving(Receiver(SECRET, PREFIX), hotline(auto_process_seconds=0.05)) as running:
        http, url, receiver = running
        body = ticket(department=None)
        async with http.post(f"{url}/hotline/v1/tickets", json=body, headers=AUTH):
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
