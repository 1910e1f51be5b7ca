"""The postage of a paper result's postal delivery (邮寄送达费) is a fee like any other: the
platform issues its notice once the result is produced, the citizen pays it through payments,
and the courier is booked only after the payment (never before)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import httpx
import pytest

from sandbox.runner import RunningApp
from tests.fixtures.declarations import first_format
from tests.fixtures.delivery import Courier, add_address, choose, platform_delivery, wait_delivery
from tests.fixtures.payments import Payer, WechatPayDesk
from tests.fixtures.waiting import eventually


@pytest.fixture
async def courier(postal: RunningApp) -> AsyncIterator[Courier]:
    async with aiohttp.ClientSession() as session:
        yield Courier(session, postal.url)


async def _notices(payer: Payer, declaration: str) -> list[dict[str, Any]]:
    resp = await payer.client.get(
        "/api/v1/payments/notices",
        params={"declarationId": declaration, "status": "all"},
        headers=payer.headers,
    )
    assert resp.status_code == 200, resp.text
    return list(resp.json()["items"])


async def _pay(payer: Payer, desk: WechatPayDesk, notice: dict[str, Any]) -> None:
    order = (await payer.order(notice["id"])).json()
    await desk.pay(order["outTradeNo"])
    await payer.wait_paid(order["id"])


async def test_postage_is_paid_before_the_result_is_posted(
    live: httpx.AsyncClient,
    worker: None,
    payer: Payer,
    desk: WechatPayDesk,
    courier: Courier,
) -> None:
    address = await add_address(payer)
    draft = await payer.create(await payer.charged_item())
    await payer.fill(draft["id"])
    for material in draft["materials"]:
        resp = await payer.upload(draft["id"], material["code"], first_format(material))
        assert resp.status_code == 200, resp.text
    chosen = await choose(payer, draft["id"], method="postal", addressId=address["id"])
    assert chosen.status_code == 200 and chosen.json()["feeFen"] == 1200, chosen.text
    assert (await payer.submit(draft["id"])).status_code == 200

    # The item's own fee first (the platform waits for it before processing).
    fee = await eventually(lambda: _notices(payer, draft["id"]))
    await _pay(payer, desk, fee[0])
    await payer.wait_state(draft["id"], "completed")

    async def postage() -> dict[str, Any] | None:
        found = [n for n in await _notices(payer, draft["id"]) if "邮寄送达费" in n["itemName"]]
        return found[0] if found else None

    notice = await eventually(postage)
    assert notice["amountFen"] == 1200 and notice["status"] == "unpaid"
    case_number = await payer.case_number(draft["id"])
    # The platform holds the shipment for the postage (it books the courier when told of the
    # payment, never before): nothing at the courier, no waybill here.
    assert (await platform_delivery(payer, case_number) or {})["status"] == "awaiting_fee"
    assert await courier.shipments() == []
    unpaid = await wait_delivery(payer, draft["id"], method="postal")
    assert unpaid["waybillNumber"] is None and unpaid["status"] == "chosen"

    await _pay(payer, desk, notice)
    shipped = await wait_delivery(payer, draft["id"], status="created")
    [shipment] = await courier.shipments()
    assert shipment["waybillNumber"] == shipped["waybillNumber"]
