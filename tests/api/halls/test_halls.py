"""Halls from the platform's directory: listed by item, a hall in full, item guides linking to
the halls that serve them, holidays and the hall's own closures shut its days."""

from __future__ import annotations

import aiohttp
import httpx

from api.composition import Services
from sandbox.runner import RunningApp
from tests.fixtures.halls import CITY_HALL, DISTRICT_HALL, ID_CARD, PROPERTY, synced_halls
from tests.fixtures.waiting import eventually


async def test_halls_by_item_and_in_full(
    client: httpx.AsyncClient, services: Services, provincial: RunningApp
) -> None:
    await synced_halls(services)
    listed = await client.get("/api/v1/halls", params={"itemCode": ID_CARD})
    assert listed.status_code == 200, listed.text
    assert [h["code"] for h in listed.json()] == [CITY_HALL, DISTRICT_HALL]
    only = await client.get("/api/v1/halls", params={"itemCode": PROPERTY})
    assert [h["code"] for h in only.json()] == [CITY_HALL]

    hall = (await client.get(f"/api/v1/halls/{CITY_HALL}")).json()
    assert hall["name"] == "金城市政务服务中心"
    assert hall["phone"] == "0931-12345001"
    assert (hall["latitude"], hall["longitude"]) == (36.061089, 103.834304)
    assert hall["hours"] == [{"from": "09:00", "to": "12:00"}, {"from": "13:30", "to": "17:30"}]
    assert hall["saturdayHours"] == [{"from": "09:00", "to": "12:00"}]
    a01 = next(w for w in hall["windows"] if w["number"] == "A01")
    assert ID_CARD in [i["code"] for i in a01["items"]] and a01["slotCapacity"] == 2
    assert ID_CARD in [i["code"] for i in hall["items"]]

    # Cached like the catalogue: the same answer again, 304 on its ETag.
    again = await client.get(f"/api/v1/halls/{CITY_HALL}")
    etag = again.headers["etag"]
    assert (
        await client.get(f"/api/v1/halls/{CITY_HALL}", headers={"If-None-Match": etag})
    ).status_code == 304

    missing = await client.get("/api/v1/halls/H999999999")
    assert missing.status_code == 404 and missing.json()["code"] == "HALL_NOT_FOUND"


async def test_item_guide_lists_its_halls(
    client: httpx.AsyncClient, services: Services, provincial: RunningApp
) -> None:
    await synced_halls(services)
    item = (await client.get(f"/api/v1/items/{ID_CARD}")).json()
    assert item["onlineLevel"] == "in_hall"
    assert [h["code"] for h in item["halls"]] == [CITY_HALL, DISTRICT_HALL]
    first = item["halls"][0]
    assert first["address"] and first["phone"] and first["latitude"] and first["longitude"]
    online = (await client.get("/api/v1/items/12620100013900155L-GG-00401-001")).json()
    assert online["halls"] == []

    # The district hall stops serving ID cards: the cached guide is rendered anew after the sync.
    async with aiohttp.ClientSession() as http:
        patched = await http.patch(
            f"{provincial.url}/_control/halls/{DISTRICT_HALL}",
            json={"windows": [{"number": "2", "name": "市场准入窗口", "slotCapacity": 2,
                               "items": [{"code": PROPERTY, "name": "不动产转移登记"}]}]},
        )  # fmt: skip
        assert patched.status == 200, await patched.text()
    assert await services.halls.sync() == 1

    async def only_the_city_hall() -> bool:
        # The bump reaches the API's cache through Redis pub/sub: a moment later.
        again = (await client.get(f"/api/v1/items/{ID_CARD}")).json()
        return [h["code"] for h in again["halls"]] == [CITY_HALL]

    await eventually(only_the_city_hall)


async def test_holidays_and_closures_shut_days(
    client: httpx.AsyncClient, services: Services, provincial: RunningApp
) -> None:
    await synced_halls(services)
    slots = await client.get(f"/api/v1/halls/{CITY_HALL}/slots", params={"itemCode": ID_CARD})
    assert slots.status_code == 200, slots.text
    days = {d["date"]: d for d in slots.json()["days"]}
    # Monday 08:00: today's half hours from 09:00; 2 places each (window A01).
    monday = days["2026-06-15"]
    assert monday["open"] and monday["slots"][0] == {
        "start": "09:00",
        "end": "09:30",
        "capacity": 2,
        "remaining": 2,
    }
    assert [s["start"] for s in monday["slots"]][-1] == "17:00"
    assert len(monday["slots"]) == 6 + 8
    # The Dragon Boat Festival: closed, Saturday hours or not.
    for day in ("2026-06-19", "2026-06-20", "2026-06-21"):
        assert days[day] == {"date": day, "open": False, "closedReason": "端午节", "slots": []}

    # The hall shuts itself on Thursday: the platform says so, the sync brings it.
    async with aiohttp.ClientSession() as http:
        patched = await http.patch(
            f"{provincial.url}/_control/halls/{CITY_HALL}",
            json={"closures": [{"date": "2026-06-18", "reason": "系统升级闭厅"}]},
        )
        assert patched.status == 200, await patched.text()
    await services.halls.sync()
    days = {
        d["date"]: d
        for d in (
            await client.get(f"/api/v1/halls/{CITY_HALL}/slots", params={"itemCode": ID_CARD})
        ).json()["days"]
    }
    assert days["2026-06-18"]["open"] is False
    assert days["2026-06-18"]["closedReason"] == "系统升级闭厅"

    async def closure_shown() -> bool:
        hall = (await client.get(f"/api/v1/halls/{CITY_HALL}")).json()
        return bool(hall["closures"] == [{"date": "2026-06-18", "reason": "系统升级闭厅"}])

    await eventually(closure_shown)

    unknown = await client.get(f"/api/v1/halls/{CITY_HALL}/slots", params={"itemCode": "X"})
    assert unknown.status_code == 404 and unknown.json()["code"] == "HALL_ITEM_NOT_SERVED"
