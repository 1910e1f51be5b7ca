"""Postal delivery of a paper result (邮寄送达): the address chosen from the book reaches the
platform; the completed case is shipped by the courier; the waybill and each tracking step
reach the citizen's inbox once, however often the courier repeats its callbacks; the choice is
fixed once the result is out."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import asyncpg
import httpx
import pytest

from sandbox.runner import RunningApp
from tests.fixtures.declarations import Applicant, inbox, ready_to_submit
from tests.fixtures.delivery import (
    CERTIFICATE_NAME,
    Courier,
    add_address,
    choose,
    item_code,
    platform_delivery,
    wait_delivery,
)
from tests.fixtures.waiting import eventually


@pytest.fixture
async def courier(postal: RunningApp) -> AsyncIterator[Courier]:
    async with aiohttp.ClientSession() as session:
        yield Courier(session, postal.url)


async def test_address_chosen_waybill_and_tracking_reach_the_inbox_once(
    live: httpx.AsyncClient,
    worker: None,
    applicant: Applicant,
    courier: Courier,
    db: asyncpg.Connection,
) -> None:
    address = await add_address(applicant)
    declaration = await ready_to_submit(
        applicant, await item_code(applicant.client, CERTIFICATE_NAME)
    )

    chosen = await choose(applicant, declaration, method="postal", addressId=address["id"])
    assert chosen.status_code == 200, chosen.text
    shown = chosen.json()
    assert shown["method"] == "postal" and shown["feeFen"] == 0 and shown["changeable"]
    # Masked in every answer: the family name, the carrier prefix and last digits, the street.
    assert shown["address"]["recipient"] == "张*"
    assert shown["address"]["phone"] == "138****8000"
    assert shown["address"]["detail"].endswith("****") and "501" not in shown["address"]["detail"]

    assert (await applicant.submit(declaration)).status_code == 200
    case_number = await applicant.case_number(declaration)
    # Chosen before the case existed: told to the platform once it does.
    registered = await eventually(lambda: platform_delivery(applicant, case_number))
    assert registered["method"] == "postal" and registered["reference"] == declaration
    await wait_delivery(applicant, declaration, registration="registered")

    for step in ("accepted", "processing", "completed"):
        await applicant.advance(case_number, step)
    shipped = await wait_delivery(applicant, declaration, status="created")
    waybill = shipped["waybillNumber"]
    assert waybill and shipped["carrier"] == "EMS" and not shipped["changeable"]
    [shipment] = await courier.shipments()
    assert shipment["waybillNumber"] == waybill and shipment["requestId"] == declaration

    # The courier sends every callback twice from now on: each step still counts once.
    await courier.duplicate_callbacks()
    for _ in range(3):  # 揽收, 运输中, 派送中
        await courier.advance(waybill)
    tracked = await wait_delivery(applicant, declaration, status="out_for_delivery")
    steps = [e["kind"] for e in tracked["timeline"] if e["kind"] not in ("chosen", "registered")]
    assert steps == ["created", "collected", "in_transit", "out_for_delivery"]
    assert tracked["statusLabel"] == "派送中"

    async def told() -> list[dict[str, object]] | None:
        about = [m for m in await inbox(applicant) if waybill in str(m["body"])]
        return about if len(about) >= 4 else None

    messages = await eventually(told)
    titles = sorted(str(m["title"]) for m in messages)
    assert titles == sorted(["办理结果已寄出", "快递已揽收", "快递运输中", "快递派送中"])
    assert all(m["link"] == f"/pages/delivery/index?declarationId={declaration}" for m in messages)
    # Every copy was acknowledged; the inbox stored each event once.
    await eventually(lambda: _all_delivered(courier))
    assert await db.fetchval("SELECT count(*) FROM postal_callbacks") == 4
    assert len([m for m in await inbox(applicant) if waybill in str(m["body"])]) == 4

    # The result is out: the choice stands.
    late = await choose(applicant, declaration, method="postal", addressId=address["id"])
    assert late.status_code == 409 and late.json()["code"] == "DELIVERY_LOCKED"
    listed = await applicant.client.get("/api/v1/result-deliveries", headers=applicant.headers)
    assert [d["waybillNumber"] for d in listed.json()["items"]] == [waybill]


async def _all_delivered(courier: Courier) -> bool:
    # The booking's event went out before the fault: the three steps after it went twice.
    sent = await courier.callbacks()
    return (
        len(sent) == 4
        and all(d["delivered"] for d in sent)
        and all(d["attempts"] >= 2 for d in sent[1:])
    )


async def test_forged_and_unknown_callbacks_change_nothing(
    live: httpx.AsyncClient, applicant: Applicant, db: asyncpg.Connection
) -> None:
    body = (
        b'{"eventId":"e1","waybillNumber":"1100000000001","requestId":"'
        + b"00000000-0000-0000-0000-000000000000"
        + b'","carrier":"EMS","sequence":1,"type":"collected","description":"",'
        b'"location":"","occurredAt":"2026-12-01T00:00:00Z"}'
    )
    forged = await live.post(
        "/api/v1/hooks/postal/events",
        content=body,
        headers={"X-Postal-Timestamp": "1", "X-Postal-Signature": "00"},
    )
    assert forged.status_code == 401 and forged.json()["code"] == "CALLBACK_SIGNATURE_INVALID"
    assert await db.fetchval("SELECT count(*) FROM postal_callbacks") == 0
