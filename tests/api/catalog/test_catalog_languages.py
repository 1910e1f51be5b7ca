"""The catalogue in the reader's language: Mongolian where the platform translated a field,
Chinese for every other field; caches and ETags kept per language."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from api.composition import Services
from core.i18n import MESSAGES
from tests.fixtures.catalog import Platform

MN = {"Accept-Language": "mn"}
ZH = {"Accept-Language": "zh-CN"}
MONGOLIAN = re.compile("[\u1800-\u18af]")
CJK = re.compile("[\u4e00-\u9fff]")


@pytest.fixture
async def items(services: Services, platform: Platform) -> AsyncIterator[dict[str, dict[str, Any]]]:
    await services.catalog.sync()
    yield {i["code"]: i for i in await platform.all_items() if i["status"] != "terminated"}


def _with_summary(items: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return next(i for i in items.values() if i.get("translations", {}).get("mn", {}).get("process"))


async def test_item_detail_in_mongolian_field_by_field(
    client: httpx.AsyncClient, items: dict[str, dict[str, Any]]
) -> None:
    item = _with_summary(items)
    mn = item["translations"]["mn"]
    resp = await client.get(f"/api/v1/items/{item['code']}", headers=MN)
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-language"] == "mn"
    body = resp.json()
    assert body["name"] == mn["name"] and MONGOLIAN.search(body["name"])
    assert body["department"]["name"] == mn["departmentName"]
    assert body["region"]["name"] == mn["regionName"]
    guide = body["guide"]
    assert guide["acceptanceConditions"] == mn["acceptanceConditions"]
    assert [m["name"] for m in guide["materials"]] == [m["name"] for m in mn["materials"]]
    assert [s["name"] for s in guide["process"]] == [s["name"] for s in mn["process"]]
    assert guide["resultType"] == mn["resultType"]
    # What the platform did not translate stays in Chinese, field by field.
    assert guide["legalBasis"] == item["legalBasis"] and CJK.search(guide["legalBasis"][0])
    assert [s["description"] for s in guide["process"]] == [
        s["description"] for s in item["process"]
    ]
    assert guide["fee"] == {**item["fee"], "items": item["fee"]["items"]}
    # The same URL in Chinese is the Chinese item.
    zh = (await client.get(f"/api/v1/items/{item['code']}", headers=ZH)).json()
    assert (
        zh["name"] == item["name"]
        and zh["guide"]["acceptanceConditions"] == item["acceptanceConditions"]
    )


async def test_an_item_with_only_its_name_translated_keeps_its_chinese_guide(
    client: httpx.AsyncClient, items: dict[str, dict[str, Any]]
) -> None:
    item = next(
        i
        for i in items.values()
        if i.get("translations", {}).get("mn", {}).get("name")
        and not i["translations"]["mn"].get("acceptanceConditions")
    )
    body = (await client.get(f"/api/v1/items/{item['code']}", headers=MN)).json()
    assert body["name"] == item["translations"]["mn"]["name"]
    assert body["guide"]["acceptanceConditions"] == item["acceptanceConditions"]
    assert [m["name"] for m in body["guide"]["materials"]] == [m["name"] for m in item["materials"]]


async def test_an_item_the_platform_did_not_name_in_mongolian_keeps_its_chinese_name(
    client: httpx.AsyncClient, items: dict[str, dict[str, Any]]
) -> None:
    item = next(
        i
        for i in items.values()
        if not {"name", "departmentName"} & set(i.get("translations", {}).get("mn", {}))
    )
    body = (await client.get(f"/api/v1/items/{item['code']}", headers=MN)).json()
    assert body["name"] == item["name"]
    assert body["department"]["name"] == item["department"]["name"]
    # ... while its region, which the platform did translate, is in Mongolian.
    assert body["region"]["name"] == item["translations"]["mn"]["regionName"]


async def test_search_in_mongolian(
    client: httpx.AsyncClient, items: dict[str, dict[str, Any]]
) -> None:
    item = _with_summary(items)
    # A Mongolian word of the item's name finds it, and the list shows Mongolian names.
    word = item["translations"]["mn"]["name"].split()[-2]
    found = (
        await client.get("/api/v1/items", params={"q": word, "pageSize": 50}, headers=MN)
    ).json()
    assert item["code"] in {i["code"] for i in found["items"]}
    assert all(MONGOLIAN.search(i["name"]) for i in found["items"][:1])
    # A Chinese keyword in Mongolian: the translated items by their Mongolian names, the others
    # by their Chinese ones.
    listed = (
        await client.get("/api/v1/items", params={"q": "身份证", "pageSize": 50}, headers=MN)
    ).json()["items"]
    assert listed
    for shown in listed:
        source = items[shown["code"]]
        expected = source.get("translations", {}).get("mn", {}).get("name") or source["name"]
        assert shown["name"] == expected
    assert {True, False} <= {bool(MONGOLIAN.search(i["name"])) for i in listed}


async def test_facets_name_departments_in_mongolian(
    client: httpx.AsyncClient, items: dict[str, dict[str, Any]]
) -> None:
    item = _with_summary(items)
    facets = (await client.get("/api/v1/catalog/facets", headers=MN)).json()
    names = {f["code"]: f["name"] for f in facets["departments"]}
    assert names[item["department"]["code"]] == item["translations"]["mn"]["departmentName"]
    untranslated = [
        i for i in items.values() if "departmentName" not in i.get("translations", {}).get("mn", {})
    ]
    assert all(names[i["department"]["code"]] == i["department"]["name"] for i in untranslated)


@pytest.mark.parametrize("path", ["/api/v1/items/{code}", "/api/v1/items", "/api/v1/items/hot"])
async def test_the_cache_and_etags_are_kept_per_language(
    client: httpx.AsyncClient, items: dict[str, dict[str, Any]], path: str
) -> None:
    url = path.format(code=_with_summary(items)["code"])
    # Twice each, interleaved: the second of each is a cache hit, answered before routing.
    answers = [await client.get(url, headers=h) for h in (ZH, MN, ZH, MN, {})]
    zh, mn, zh_hit, mn_hit, default = answers
    assert all(a.status_code == 200 for a in answers)
    assert zh_hit.content == zh.content == default.content and mn_hit.content == mn.content
    assert zh.content != mn.content
    assert zh.headers["etag"] == zh_hit.headers["etag"] != mn.headers["etag"]
    assert mn_hit.headers["etag"] == mn.headers["etag"]
    for answer, language in zip(answers, ["zh-CN", "mn", "zh-CN", "mn", "zh-CN"], strict=True):
        assert answer.headers["content-language"] == language
        assert "Accept-Language" in answer.headers["vary"]
    # A Chinese ETag does not validate the Mongolian page, nor the other way round.
    cross = await client.get(url, headers={**MN, "If-None-Match": zh.headers["etag"]})
    assert cross.status_code == 200 and cross.content == mn.content
    same = await client.get(url, headers={**MN, "If-None-Match": mn.headers["etag"]})
    assert same.status_code == 304


async def test_problem_titles_in_mongolian(client: httpx.AsyncClient) -> None:
    resp = await client.get("/api/v1/items/NO-SUCH-ITEM", headers={"Accept-Language": "mn-CN"})
    assert resp.status_code == 404
    body = resp.json()
    assert body["code"] == "ITEM_NOT_FOUND"
    assert body["title"] == MESSAGES["ITEM_NOT_FOUND"]["mn"] and MONGOLIAN.search(body["title"])
    assert resp.headers["content-language"] == "mn"
    assert "Accept-Language" in resp.headers["vary"]
    chinese = await client.get("/api/v1/items/NO-SUCH-ITEM", headers={"Accept-Language": "fr"})
    assert chinese.json()["title"] == MESSAGES["ITEM_NOT_FOUND"]["zh-CN"]
    assert chinese.headers["content-language"] == "zh-CN"
