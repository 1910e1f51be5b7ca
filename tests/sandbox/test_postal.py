"""The postal courier stand-in over real HTTP on loopback: a shipment booked under a request id
(one waybill however often it is booked), moved along by the control API, every tracking step a
signed callback delivered in order until acknowledged.

The callback target is the test's own receiver (``tests.fixtures.signed_callbacks``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from sandbox.postal.app import build_postal_app
from tests.fixtures.signed_callbacks import Receiver, StandIn, serving
from tests.fixtures.waiting import eventually

KEY = "k-postal"
SECRET = "s-postal"
AUTH = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture
async def stand_in() -> AsyncIterator[StandIn]:
    def build(_: Receiver) -> web.Application:
        return build_postal_app(api_key=KEY, callback_secret=SECRET, callback_retry_base=0.02)

    async with serving(Receiver(SECRET, "X-Postal"), build) as running:
        yield running


def shipment(receiver: Receiver, request_id: str = "req-1", **over: Any) -> dict[str, Any]:
    return {
        "requestId": request_id,
        "sender": {"name": "金城市公安局", "phone": "0931-12345001", "address": "民主东路 88 号"},
        "recipient": {
            "name": "张三",
            "phone": "13800138000",
            "regionCode": "620102",
            "address": "西岭省 金城市 城关区 雁园路 601 号",
        },
        "callbackUrl": receiver.url,
        **over,
    }


async def test_one_waybill_per_request_and_every_step_signed_in_order(
    stand_in: StandIn,
) -> None:
    http, url, receiver = stand_in
    async with http.post(f"{url}/postal/v1/shipments", json=shipment(receiver)) as resp:
        assert resp.status == 401  # no API key
    async with http.post(
        f"{url}/postal/v1/shipments", json=shipment(receiver), headers=AUTH
    ) as resp:
        assert resp.status == 201
        booked = await resp.json()
    waybill = booked["waybillNumber"]
    assert len(waybill) == 13 and waybill.isdigit() and booked["carrier"] == "EMS"
    async with http.post(
        f"{url}/postal/v1/shipments", json=shipment(receiver), headers=AUTH
    ) as resp:
        assert resp.status == 200 and (await resp.json())["waybillNumber"] == waybill
    other = shipment(receiver)
    other["recipient"] = {**other["recipient"], "name": "李四"}
    async with http.post(f"{url}/postal/v1/shipments", json=other, headers=AUTH) as resp:
        assert resp.status == 409 and (await resp.json())["code"] == "REQUEST_ID_REUSED"
    bad = shipment(receiver, "req-2")
    bad["recipient"] = {**bad["recipient"], "phone": "12345"}
    async with http.post(f"{url}/postal/v1/shipments", json=bad, headers=AUTH) as resp:
        assert resp.status == 400 and (await resp.json())["code"] == "INVALID_PARAMETER"

    receiver.fail_next = 2  # the receiver is down for a while: the step waits, then arrives
    async with http.post(f"{url}/_control/shipments/{waybill}/advance", json={}) as resp:
        assert resp.status == 200
    async with http.post(
        f"{url}/_control/shipments/{waybill}/advance", json={"to": "delivered"}
    ) as resp:
        assert (await resp.json())["status"] == "delivered"
    async with http.post(f"{url}/_control/shipments/{waybill}/advance", json={}) as resp:
        assert resp.status == 409

    async def all_five() -> bool:
        return len(receiver.events) == 5

    await eventually(all_five)
    assert [e["type"] for e in receiver.events] == [
        "created",
        "collected",
        "in_transit",
        "out_for_delivery",
        "delivered",
    ]
    assert [e["sequence"] for e in receiver.events] == [1, 2, 3, 4, 5]
    assert {e["waybillNumber"] for e in receiver.events} == {waybill}
    assert {e["requestId"] for e in receiver.events} == {"req-1"}
    assert receiver.bad_signatures == 0
    async with http.get(f"{url}/postal/v1/shipments/{waybill}", headers=AUTH) as resp:
        assert (await resp.json())["sequence"] == 5
