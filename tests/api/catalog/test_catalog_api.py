"""The citizen catalogue API: list, filters, search, hot items, guide detail, errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from api.catalog.service import name_initials
from api.composition import Services
from tests.fixtures.catalog import Platform


@pytest.fixture
async def synced(services: Services, platform: Platform) -> AsyncIterator[list[dict[str, Any]]]:
    await services.catalog.sync()
    # Terminated items (取消) leave the catalogue; everything else is listed.
    yield [i for i in await platform.all_items() if i["status"] != "terminated"]


async def _all_pages(client: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    page = 1
    while True:
        resp = await client.get("/api/v1/items", params={**params, "page": page, "pageSize": 7})
        assert resp.status_code == 200, resp.text
        body = resp.json()
        items += body["items"]
        if page * 7 >= body["total"]:
            assert len(items) == body["total"]
            return items
        page += 1


async def test_list_pages_through_every_item_once(
    client: httpx.AsyncClient, synced: list[dict[str, Any]]
) -> None:
    listed = await _all_pages(client)
    assert sorted(i["code"] for i in listed) == sorted(i["code"] for i in synced)
    assert len(listed) >= 30


@pytest.mark.parametrize("keyword", ["身份证", "社保", "公积金"])
async def test_search_finds_items_by_chinese_keyword_in_name(
    client: httpx.AsyncClient, synced: list[dict[str, Any]], keyword: str
) -> None:
    found = await _all_pages(client, q=keyword)
    named = [i for i in found if keyword in i["name"]]
    assert named, f"no item named with {keyword}"
    assert {i["code"] for i in synced if keyword in i["name"]} <= {i["code"] for i in found}
    # Items whose name holds the keyword come before those that only mention it in the guide.
    assert found[: len(named)] == named


async def test_search_reaches_into_the_guide(
    client: httpx.AsyncClient, synced: list[dict[str, Any]]
) -> None:
    in_guide_only = [
        i for i in synced
        if "身份证" not in i["name"] and any("身份证" in m["name"] for m in i["materials"])
    ]  # fmt: skip
    assert in_guide_only
    found = {i["code"] for i in await _all_pages(client, q="身份证")}
    assert {i["code"] for i in in_guide_only} <= found


async def test_search_by_pinyin_initials(
    client: httpx.AsyncClient, synced: list[dict[str, Any]]
) -> None:
    target = next(i for i in synced if "身份证" in i["name"])
    initials = name_initials(target["name"])
    found = await _all_pages(client, q=initials)
    assert target["code"] in {i["code"] for i in found}


async def test_search_with_like_wildcards_is_literal(
    client: httpx.AsyncClient, synced: list[dict[str, Any]]
) -> None:
    resp = await client.get("/api/v1/items", params={"q": "%_"})
    assert resp.status_code == 200
    assert resp.json()["total"] == 0


async def test_filters_combine(client: httpx.AsyncClient, synced: list[dict[str, Any]]) -> None:
    charged = await _all_pages(client, charged="true")
    assert len(charged) >= 3 and all(i["charged"] for i in charged)
    free = await _all_pages(client, charged="false")
    assert len(charged) + len(free) == len(synced)

    dept = synced[0]["department"]["code"]
    by_dept = await _all_pages(client, department=dept)
    assert by_dept and all(i["department"]["code"] == dept for i in by_dept)
    assert len(by_dept) == sum(1 for i in synced if i["department"]["code"] == dept)

    online = await _all_pages(client, onlineLevel="full_online")
    assert online and all(i["onlineLevel"] == "full_online" for i in online)

    theme = synced[0]["themes"][0]
    themed = await _all_pages(client, theme=theme, charged="false")
    assert all(theme in i["themes"] and not i["charged"] for i in themed)

    region = synced[0]["regionCode"]
    assert all(i["region"]["code"] == region for i in await _all_pages(client, region=region))


async def test_hot_items_are_active_and_ordered_by_volume(
    client: httpx.AsyncClient, synced: list[dict[str, Any]]
) -> None:
    resp = await client.get("/api/v1/items/hot", params={"limit": 5})
    assert resp.status_code == 200
    hot = resp.json()
    volume = {i["code"]: i["annualVolume"] for i in synced}
    assert len(hot) == 5
    assert all(i["status"] == "active" for i in hot)
    volumes = [volume[i["code"]] for i in hot]
    assert volumes == sorted(volumes, reverse=True)
    assert volumes[0] == max(
        v
        for i, v in volume.items()
        if next(s for s in synced if s["code"] == i)["status"] == "active"
    )


async def test_detail_carries_the_complete_guide(
    client: httpx.AsyncClient, synced: list[dict[str, Any]]
) -> None:
    charged = next(i for i in synced if i["fee"]["charged"])
    resp = await client.get(f"/api/v1/items/{charged['code']}")
    assert resp.status_code == 200
    body = resp.json()
    guide = body["guide"]
    assert body["caseType"] in {"immediate", "promised"}
    for field in ("legalBasis", "acceptanceConditions", "materials", "process", "faq", "templates"):
        assert guide[field], field
    assert guide["promisedLimitDays"] == charged["promisedLimitDays"]
    assert guide["fee"]["items"][0]["amountFen"] == charged["fee"]["items"][0]["amountFen"]
    material = guide["materials"][0]
    assert set(material) >= {
        "name",
        "required",
        "tolerance",
        "formats",
        "maxSizeKb",
        "licenceTypes",
    }
    assert guide["consultation"]["phone"] and guide["complaint"]["phone"]


async def test_bundle_detail_names_its_members(
    client: httpx.AsyncClient, synced: list[dict[str, Any]]
) -> None:
    bundle = next(i for i in synced if i["bundle"])
    body = (await client.get(f"/api/v1/items/{bundle['code']}")).json()
    assert body["isBundle"] is True
    members = body["guide"]["bundleMembers"]
    assert [m["code"] for m in members] == bundle["bundle"]["members"]
    assert all(m["name"] for m in members)


async def test_suspended_item_says_why_and_takes_no_application(
    client: httpx.AsyncClient, synced: list[dict[str, Any]]
) -> None:
    suspended = next(i for i in synced if i["status"] == "suspended")
    body = (await client.get(f"/api/v1/items/{suspended['code']}")).json()
    assert body["acceptingApplications"] is False
    assert body["statusReason"] == suspended["statusReason"]
    hot_codes = {i["code"] for i in (await client.get("/api/v1/items/hot?limit=50")).json()}
    assert suspended["code"] not in hot_codes


async def test_facets_count_items(client: httpx.AsyncClient, synced: list[dict[str, Any]]) -> None:
    facets = (await client.get("/api/v1/catalog/facets")).json()
    assert sum(d["count"] for d in facets["departments"]) == len(synced)
    assert len(facets["departments"]) >= 8
    assert facets["themes"]


async def test_unknown_item_is_a_problem_404(client: httpx.AsyncClient, synced: Any) -> None:
    resp = await client.get("/api/v1/items/NO-SUCH-ITEM", headers={"X-Request-ID": "test-req-0001"})
    assert resp.status_code == 404
    assert resp.headers["content-type"].startswith("application/problem+json")
    problem = resp.json()
    assert problem["code"] == "ITEM_NOT_FOUND"
    assert problem["title"] == "未找到该办事事项"
    assert problem["requestId"] == "test-req-0001" == resp.headers["x-request-id"]


@pytest.mark.parametrize(
    "query",
    [
        {"pageSize": "0"},
        {"pageSize": "51"},
        {"page": "abc"},
        {"page": "0"},
        {"onlineLevel": "teleport"},
        {"charged": "maybe"},
        {"q": "x" * 51},
        {"q": ""},
    ],
)
async def test_invalid_query_parameters_are_400_problems(
    client: httpx.AsyncClient, query: dict[str, str]
) -> None:
    resp = await client.get("/api/v1/items", params=query)
    assert resp.status_code == 400, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert resp.json()["code"] == "INVALID_PARAMETER"


async def test_unknown_route_and_method_are_problems(client: httpx.AsyncClient) -> None:
    missing = await client.get("/api/v1/nowhere")
    assert missing.status_code == 404
    assert missing.json()["code"] == "NOT_FOUND"
    wrong_method = await client.delete("/api/v1/items")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["code"] == "METHOD_NOT_ALLOWED"


async def test_english_problem_titles_on_request(client: httpx.AsyncClient) -> None:
    resp = await client.get("/api/v1/nowhere", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert resp.json()["title"] == "Not found"
