"""The platform's hall directory on the provincial stand-in, over real HTTP; and our client of
it (``core.clients.provincial.ProvincialHallsClient``) against it."""

from __future__ import annotations

import aiohttp
import pytest_asyncio

from core.clients.provincial import ProvincialHallsClient
from core.settings import HttpClientSettings, ProvincialSettings, Secret
from tests.fixtures.provincial_cases import API_KEY, Platform, PlatformFactory

HALLS = "/gov/halls/v1/halls"


@pytest_asyncio.fixture
async def stand_in(make_platform: PlatformFactory) -> Platform:
    return await make_platform()


async def test_the_directory_lists_halls_with_windows_and_capacities(stand_in: Platform) -> None:
    status, body = await stand_in.call("GET", HALLS)
    assert status == 200
    halls = {h["code"]: h for h in body["halls"]}
    assert set(halls) == {"H620100001", "H620102001", "H623100001", "H620321001"}
    city = halls["H620100001"]
    assert city["regionName"] == "西岭省金城市" and city["version"] == 1
    assert city["hours"][0] == {"from": "09:00", "to": "12:00"}
    [a01] = [w for w in city["windows"] if w["number"] == "A01"]
    assert a01["slotCapacity"] == 2
    assert a01["items"][0] == {"code": "11620100013900112A-GG-00101-001", "name": "居民身份证换领"}
    # Every item a window serves is one the catalogue holds.
    for hall in halls.values():
        for window in hall["windows"]:
            for item in window["items"]:
                found, _ = await stand_in.call("GET", f"/gov/catalog/v1/items/{item['code']}")
                assert found == 200, item

    async with stand_in.http.get(stand_in.url(HALLS)) as anonymous:
        assert anonymous.status == 401
    missing, problem = await stand_in.call("GET", f"{HALLS}/H999999999")
    assert (missing, problem["code"]) == (404, "HALL_NOT_FOUND")


async def test_a_changed_hall_gets_its_next_version(stand_in: Platform) -> None:
    status, hall = await stand_in.control(
        "PATCH", "/halls/H620100001", {"closures": [{"date": "2026-06-18", "reason": "闭厅"}]}
    )
    assert status == 200 and hall["version"] == 2
    assert hall["closures"] == [{"date": "2026-06-18", "reason": "闭厅"}]
    bad, problem = await stand_in.control("PATCH", "/halls/H620100001", {"hours": [{"from": "x"}]})
    assert (bad, problem["code"]) == (400, "INVALID_PARAMETER")
    backwards, _ = await stand_in.control(
        "PATCH", "/halls/H620100001", {"hours": [{"from": "12:00", "to": "09:00"}]}
    )
    assert backwards == 400


async def test_our_client_reads_the_directory(stand_in: Platform) -> None:
    settings = ProvincialSettings(base_url=stand_in.server.url, api_key=Secret(API_KEY))
    async with aiohttp.ClientSession() as session:
        halls = await ProvincialHallsClient(session, settings, HttpClientSettings()).halls()
    city = next(h for h in halls if h.code == "H620100001")
    assert (city.latitude, city.longitude) == (36.061089, 103.834304)
    assert [s.start for s in city.hours] == ["09:00", "13:30"]
    assert city.windows[0].items[0].name == "居民身份证换领"
    assert city.updated_at.year == 2025
