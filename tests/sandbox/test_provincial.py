"""The provincial platform stand-in, exercised over real HTTP on loopback."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import re
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from core.embedded import free_port
from sandbox.provincial.app import build_provincial_app
from sandbox.runner import RunningApp, run_sandbox, start_app

API_KEY = "test-provincial-key"
FEED = "/gov/catalog/v1/items/changes"
ITEM = "/gov/catalog/v1/items/"
AUTH = {"Authorization": f"Bearer {API_KEY}"}

GUIDE_FIELDS = [
    *("code", "name", "itemType", "department", "regionCode", "regionName", "themes"),
    *("targets", "caseType", "onlineLevel", "statutoryLimitDays", "promisedLimitDays"),
    *("legalBasis", "acceptanceConditions", "materials", "process", "fee", "resultType"),
    *("resultSample", "consultation", "complaint", "faq", "formInstructions", "form"),
    *("templates",),
    *("status", "version", "updatedAt"),
]
ALL_KEYS = set(GUIDE_FIELDS) | {
    "visitsRequired",
    "issuesLicence",
    "bundle",
    "statusReason",
    "annualVolume",
    # How a paper result reaches the applicant (邮寄送达); null for electronic results.
    "delivery",
    # The item's text in other languages, by tag ("mn"); {} where the platform has none.
    "translations",
}


@dataclass
class Platform:
    server: RunningApp
    http: aiohttp.ClientSession

    def url(self, path: str) -> str:
        return self.server.url + path

    async def get(self, path: str, **params: Any) -> tuple[int, Any]:
        async with self.http.get(self.url(path), params=params, headers=AUTH) as resp:
            return resp.status, await resp.json()

    async def control(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        async with self.http.request(method, self.url("/_control" + path), json=body) as resp:
            return resp.status, await resp.json()

    async def feed_all(self, cursor: str | None = None, limit: int = 7) -> tuple[list[Any], str]:
        """Page through the feed from ``cursor``; returns the items and the final cursor."""
        items: list[Any] = []
        while True:
            params: dict[str, Any] = {"limit": limit}
            if cursor is not None:
                params["cursor"] = cursor
            status, page = await self.get(FEED, **params)
            assert status == 200, page
            assert len(page["items"]) <= limit
            items.extend(page["items"])
            cursor = page["nextCursor"]
            if not page["hasMore"]:
                return items, page["nextCursor"]


@pytest_asyncio.fixture
async def platform() -> AsyncIterator[Platform]:
    server = await start_app(build_provincial_app(api_key=API_KEY))
    async with aiohttp.ClientSession() as http:
        yield Platform(server, http)
    await server.close()


def _non_empty(value: Any) -> bool:
    """Filled in: no empty string, list or object; an object's texts are not empty either."""
    if isinstance(value, str | list | dict) and not value:
        return False
    if isinstance(value, dict):
        return all(v is not None and v != "" for v in value.values())
    return value is not None


@pytest.mark.asyncio
async def test_seed_catalogue_is_complete(platform: Platform) -> None:
    items, _ = await platform.feed_all(limit=100)
    assert len(items) >= 30
    codes = {item["code"] for item in items}
    assert len(codes) == len(items)
    for item in items:
        assert set(item) == ALL_KEYS, item["code"]
        for key in GUIDE_FIELDS:
            assert _non_empty(item[key]), (item["code"], key)
        for material in item["materials"]:
            assert material["code"] and material["name"] and material["notes"]
            assert material["formats"] and material["maxSizeKb"] > 0
        assert [s["step"] for s in item["process"]] == list(range(1, len(item["process"]) + 1))
        assert item["fee"]["basis"]
        assert item["fee"]["charged"] == bool(item["fee"]["items"])
        assert all(f["question"] and f["answer"] for f in item["faq"])
        assert item["consultation"]["phone"] and item["consultation"]["address"]
        assert item["complaint"]["phone"]
        assert item["resultSample"]["url"].startswith("https://")
        assert (item["status"] == "active") == (item["statusReason"] is None)
        assert item["updatedAt"].endswith("Z")

    fee_items = [i for i in items if i["fee"]["charged"]]
    assert len(fee_items) >= 3
    assert all(f["amountFen"] > 0 for i in fee_items for f in i["fee"]["items"])
    assert len([i for i in items if i["issuesLicence"]]) >= 2
    bundles = [i for i in items if i["bundle"]]
    assert bundles
    for bundle in bundles:
        assert len(bundle["bundle"]["members"]) >= 2
        assert set(bundle["bundle"]["members"]) <= codes
    suspended = [i for i in items if i["status"] == "suspended"]
    assert suspended and all(i["statusReason"] for i in suspended)
    names = " ".join(i["name"] for i in items)
    for word in ("身份证", "社保", "公积金"):
        assert word in names
    mentions_id = [i for i in items if any("身份证" in m["name"] for m in i["materials"])]
    assert len(mentions_id) >= 20


FIELD_KEYS = {"key", "label", "type", "required", "maxLength", "options", "prefill"}
DELIVERY = ["窗口领取", "邮寄送达", "电子证照"]


@pytest.mark.asyncio
async def test_every_seed_item_has_an_application_form(platform: Platform) -> None:
    items, _ = await platform.feed_all(limit=100)
    for item in items:
        form = {f["key"]: f for f in item["form"]}
        assert len(form) == len(item["form"]), item["code"]
        assert 3 <= len(form) <= 6, item["code"]
        assert form["reason"] == {
            "key": "reason",
            "label": "申请事由",
            "type": "textarea",
            "required": True,
            "maxLength": 500,
            "options": [],
            "prefill": None,
        }
        delivery = form["deliveryMethod"]
        assert delivery["label"] == "结果领取方式" and delivery["type"] == "select"
        assert delivery["required"] and delivery["options"] == DELIVERY
        for key, field in form.items():
            assert set(field) == FIELD_KEYS, (item["code"], key)
            assert re.fullmatch(r"[a-z][A-Za-z0-9]*", key), (item["code"], key)
            assert re.search(r"[\u4e00-\u9fff]", field["label"]), (item["code"], key)
            assert field["type"] in {"text", "textarea", "select", "date", "number"}
            assert isinstance(field["required"], bool) and field["maxLength"] > 0
            assert bool(field["options"]) == (field["type"] == "select"), (item["code"], key)
            assert all(isinstance(o, str) and o for o in field["options"])
            prefill = field["prefill"]
            assert prefill is None or re.fullmatch(r"licence:[A-Z]+", prefill), prefill
            # Identity comes from the account: no prefill from personal identity documents.
            assert prefill not in {"licence:SFZ", "licence:HKB", "licence:SBK", "licence:JSZ"}
            assert prefill is None or field["type"] == "text"

    rent = next(i for i in items if i["name"] == "住房公积金提取（租房）")
    fields = {f["key"]: f for f in rent["form"]}
    assert fields["monthlyRent"]["type"] == "number" and fields["monthlyRent"]["required"]
    assert fields["leaseStart"]["type"] == "date" and fields["leaseStart"]["required"]
    assert fields["bankAccount"]["maxLength"] == 30
    food = next(i for i in items if i["name"].startswith("食品经营许可"))
    assert {f["key"]: f["prefill"] for f in food["form"]}["businessLicenceNumber"] == (
        "licence:YYZZ"
    )

    # The control API validates forms: duplicate keys, a select without options.
    base = items[0]
    for form in (
        [*base["form"], base["form"][-1]],
        [{**base["form"][-1], "options": []}],
        [{**base["form"][0], "prefill": "SFZ"}],
    ):
        status, body = await platform.control("POST", "/items", dict(base, form=form))
        assert status == 400 and body["code"] == "INVALID_PARAMETER", form


@pytest.mark.asyncio
async def test_state_written_before_forms_still_loads(tmp_path: Path) -> None:
    async with aiohttp.ClientSession() as http:
        server = await start_app(build_provincial_app(api_key=API_KEY, data_dir=tmp_path))
        items, cursor = await Platform(server, http).feed_all(limit=100)
        await server.close()
        path = tmp_path / "provincial.json"
        saved = json.loads(path.read_text("utf-8"))
        for entry in saved["entries"]:
            del entry["item"]["form"]
        path.write_text(json.dumps(saved, ensure_ascii=False), "utf-8")

        server = await start_app(build_provincial_app(api_key=API_KEY, data_dir=tmp_path))
        platform = Platform(server, http)
        old, _ = await platform.feed_all(limit=100)
        assert [i["form"] for i in old] == [[] for _ in items]
        assert [{**i, "form": []} for i in items] == old
        changed, _ = await platform.feed_all(cursor=cursor)
        assert changed == []
        await server.close()


@pytest.mark.asyncio
async def test_feed_pages_each_item_once_then_only_changes(platform: Platform) -> None:
    items, cursor = await platform.feed_all(limit=7)
    codes = [i["code"] for i in items]
    assert len(codes) == len(set(codes)) >= 30

    status, page = await platform.get(FEED, cursor=cursor)
    assert status == 200
    assert page == {"items": [], "nextCursor": cursor, "hasMore": False}

    first, second = codes[3], codes[10]
    status, edited = await platform.control("PATCH", f"/items/{first}", {"name": "新名称"})
    assert status == 200 and edited["name"] == "新名称"
    assert edited["version"] == items[3]["version"] + 1
    status, _ = await platform.control("POST", f"/items/{second}/suspend", {"reason": "系统维护"})
    assert status == 200
    # A second change to the same item: it must still appear once, at its latest position.
    status, _ = await platform.control("PATCH", f"/items/{first}", {"annualVolume": 1})
    assert status == 200

    changed, cursor = await platform.feed_all(cursor=cursor, limit=1)
    assert [i["code"] for i in changed] == [second, first]
    assert changed[0]["status"] == "suspended" and changed[0]["statusReason"] == "系统维护"
    assert changed[1]["name"] == "新名称" and changed[1]["annualVolume"] == 1
    assert changed[1]["version"] == items[3]["version"] + 2

    status, _ = await platform.control("POST", f"/items/{second}/resume")
    assert status == 200
    changed, _ = await platform.feed_all(cursor=cursor)
    assert [(i["code"], i["status"], i["statusReason"]) for i in changed] == [
        (second, "active", None)
    ]

    status, item = await platform.get(ITEM + first)
    assert status == 200 and item["name"] == "新名称"


@pytest.mark.asyncio
async def test_feed_updated_since_and_new_items(platform: Platform) -> None:
    items, _ = await platform.feed_all(limit=100)
    stamps = sorted(i["updatedAt"] for i in items)
    since = stamps[len(stamps) // 2]
    expected = {i["code"] for i in items if i["updatedAt"] >= since}

    status, page = await platform.get(FEED, updated_since=since, limit=3)
    assert status == 200
    seen = [i["code"] for i in page["items"]]
    cursor = page["nextCursor"]
    rest, cursor = await platform.feed_all(cursor=cursor, limit=3)
    seen += [i["code"] for i in rest]
    assert sorted(seen) == sorted(expected)

    new = dict(items[0], code="XK62000012300101", name="测试新增事项")
    status, created = await platform.control("POST", "/items", new)
    assert status == 201 and created["version"] == 1
    status, _ = await platform.control("POST", "/items", dict(new, name="改名"))
    assert status == 200
    changed, _ = await platform.feed_all(cursor=cursor)
    assert [(i["code"], i["name"], i["version"]) for i in changed] == [
        ("XK62000012300101", "改名", 2)
    ]

    status, page = await platform.get(FEED, updated_since="2999-01-01T00:00:00+08:00")
    assert status == 200 and page["items"] == [] and not page["hasMore"]


@pytest.mark.asyncio
async def test_auth_and_parameter_errors(platform: Platform) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": API_KEY}):
        async with platform.http.get(platform.url(FEED), headers=headers) as resp:
            assert resp.status == 401
            assert (await resp.json())["code"] == "UNAUTHORIZED"

    bad_cursor = base64.urlsafe_b64encode(b"seq:x").decode()
    for params in (
        {"cursor": "!!!"},
        {"cursor": bad_cursor},
        {"limit": "0"},
        {"limit": "101"},
        {"limit": "ten"},
        {"updated_since": "yesterday"},
        {"updated_since": "2026-01-05T08:00:00"},
    ):
        status, body = await platform.get(FEED, **params)
        assert status == 400, params
        assert body["code"] == "INVALID_PARAMETER"

    status, body = await platform.get(ITEM + "NO-SUCH-ITEM")
    assert status == 404 and body["code"] == "ITEM_NOT_FOUND"
    status, body = await platform.control("POST", "/items/NO-SUCH-ITEM/suspend", {"reason": "x"})
    assert status == 404 and body["code"] == "ITEM_NOT_FOUND"
    status, body = await platform.control("POST", "/items", {"code": "X"})
    assert status == 400 and body["code"] == "INVALID_PARAMETER"

    async with platform.http.get(platform.url("/healthz")) as resp:
        assert resp.status == 200 and await resp.json() == {"status": "ok"}


@pytest.mark.asyncio
async def test_fault_error_after_requests(platform: Platform) -> None:
    status, _ = await platform.control(
        "POST", "/faults", {"mode": "error", "status": 502, "afterRequests": 2, "times": 2}
    )
    assert status == 200
    statuses = [(await platform.get(FEED, limit=1))[0] for _ in range(5)]
    assert statuses == [200, 200, 502, 502, 200]

    status, fault = await platform.control("GET", "/faults")
    assert fault["fault"]["mode"] == "error" and fault["faultedRequests"] == 2
    status, stats = await platform.control("GET", "/stats")
    assert stats == {"requests": {FEED: 5}}

    await platform.control("POST", "/faults", {"mode": "error"})
    assert (await platform.get(FEED))[0] == 503
    async with platform.http.get(platform.url("/healthz")) as resp:
        assert resp.status == 200
    status, fault = await platform.control("DELETE", "/faults")
    assert status == 200 and fault == {"fault": None}
    assert (await platform.get(FEED))[0] == 200

    status, body = await platform.control("POST", "/faults", {"mode": "explode"})
    assert status == 400 and body["code"] == "INVALID_PARAMETER"


@pytest.mark.asyncio
async def test_fault_latency(platform: Platform) -> None:
    await platform.control("POST", "/faults", {"mode": "latency", "latencyMs": 300, "times": 1})
    loop = asyncio.get_running_loop()
    started = loop.time()
    status, _ = await platform.get(FEED, limit=1)
    slow = loop.time() - started
    started = loop.time()
    await platform.get(FEED, limit=1)
    fast = loop.time() - started
    assert status == 200
    assert slow >= 0.3 > fast


@pytest.mark.asyncio
async def test_fault_reset_drops_the_connection(platform: Platform) -> None:
    # aiohttp retries an idempotent request once when the connection drops: fault both tries.
    await platform.control("POST", "/faults", {"mode": "reset", "times": 2})
    with pytest.raises(aiohttp.ClientConnectionError):
        await platform.get(FEED)
    _, fault = await platform.control("GET", "/faults")
    assert fault["faultedRequests"] == 2
    assert (await platform.get(FEED))[0] == 200

    # times=1 is absorbed by that retry: the client gets its answer.
    await platform.control("POST", "/faults", {"mode": "reset", "times": 1})
    assert (await platform.get(FEED))[0] == 200


@pytest.mark.asyncio
async def test_fault_timeout(platform: Platform) -> None:
    _, page = await platform.get(FEED, limit=1)
    code = page["items"][0]["code"]
    await platform.control("POST", "/faults", {"mode": "timeout", "pathPrefix": FEED})
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(TimeoutError):
        async with platform.http.get(
            platform.url(FEED), headers=AUTH, timeout=aiohttp.ClientTimeout(total=0.3)
        ) as resp:
            await resp.read()
    assert loop.time() - started < 5
    # Only the configured path prefix is faulted.
    assert (await platform.get(ITEM + code))[0] == 200
    # A request still held by the fault is let go when the fault is cleared.
    await platform.control("DELETE", "/faults")
    assert (await platform.get(FEED, limit=1))[0] == 200


@pytest.mark.asyncio
async def test_reset_restores_the_seed(platform: Platform) -> None:
    before, _ = await platform.feed_all(limit=100)
    code = before[0]["code"]
    await platform.control("PATCH", f"/items/{code}", {"name": "改"})
    await platform.control("POST", "/faults", {"mode": "error"})
    status, body = await platform.control("POST", "/reset")
    assert status == 200 and body["seq"] == len(before)
    after, _ = await platform.feed_all(limit=100)
    assert after == before
    status, stats = await platform.control("GET", "/stats")
    assert stats["requests"] == {FEED: 1}


@pytest.mark.asyncio
async def test_state_persists_across_restart(tmp_path: Path) -> None:
    async with aiohttp.ClientSession() as http:
        server = await start_app(build_provincial_app(api_key=API_KEY, data_dir=tmp_path))
        platform = Platform(server, http)
        items, cursor = await platform.feed_all()
        code = items[5]["code"]
        await platform.control("POST", f"/items/{code}/suspend", {"reason": "升级"})
        await server.close()

        saved = json.loads((tmp_path / "provincial.json").read_text("utf-8"))
        assert saved["seq"] == len(items) + 1
        assert not list(tmp_path.glob("*.tmp"))

        server = await start_app(build_provincial_app(api_key=API_KEY, data_dir=tmp_path))
        platform = Platform(server, http)
        changed, cursor = await platform.feed_all(cursor=cursor)
        assert [(i["code"], i["status"]) for i in changed] == [(code, "suspended")]
        await platform.control("POST", f"/items/{code}/resume")
        await server.close()

        server = await start_app(build_provincial_app(api_key=API_KEY, data_dir=tmp_path))
        platform = Platform(server, http)
        changed, _ = await platform.feed_all(cursor=cursor)
        assert [(i["code"], i["status"]) for i in changed] == [(code, "active")]
        await server.close()


@pytest.mark.asyncio
async def test_run_sandbox_serves_all_until_cancelled(tmp_path: Path) -> None:
    ports = free_port(), free_port(), free_port(), free_port(), free_port(), free_port()
    ready = asyncio.Event()
    task = asyncio.create_task(
        run_sandbox(
            host="127.0.0.1",
            provincial_port=ports[0],
            wechat_port=ports[1],
            data_dir=tmp_path,
            provincial_api_key=API_KEY,
            wechat_appid="wxdev000000000000",
            wechat_secret="dev-wechat-secret",
            ready=ready,
            sms_port=ports[2],
            apppush_port=ports[3],
            wechatpay_port=ports[4],
            hotline_port=ports[5],
        )
    )
    await asyncio.wait_for(ready.wait(), 10)
    async with aiohttp.ClientSession() as http:
        for port in ports:
            async with http.get(f"http://127.0.0.1:{port}/healthz") as resp:
                assert await resp.json() == {"status": "ok"}
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        with pytest.raises(aiohttp.ClientConnectionError):
            await http.get(f"http://127.0.0.1:{ports[0]}/healthz")
    assert (tmp_path / "provincial.json").exists()


@pytest.mark.asyncio
async def test_run_sandbox_moves_off_taken_ports_and_writes_where_each_listens(
    tmp_path: Path,
) -> None:
    """Whoever started the sandbox reads its ports from the file: a port taken between being
    chosen and being bound (by anything, even an outgoing connection's local end) is no
    failure."""
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    taken_port = taken.getsockname()[1]
    ports_file = tmp_path / "ports.json"
    ready = asyncio.Event()
    task = asyncio.create_task(
        run_sandbox(
            host="127.0.0.1",
            provincial_port=free_port(),
            wechat_port=0,
            data_dir=tmp_path,
            provincial_api_key=API_KEY,
            wechat_appid="wxdev000000000000",
            wechat_secret="dev-wechat-secret",
            ready=ready,
            sms_port=0,
            apppush_port=0,
            wechatpay_port=taken_port,
            hotline_port=0,
            hallqueue_port=0,
            postal_port=0,
            ports_file=ports_file,
        )
    )
    try:
        await asyncio.wait_for(ready.wait(), 10)
        written = json.loads(ports_file.read_text())
        assert set(written) == {
            *("provincial", "wechat", "sms", "apppush"),
            *("wechatpay", "hallqueue", "hotline", "postal"),
        }
        assert written["wechatpay"] != taken_port
        assert len(set(written.values())) == len(written)
        async with aiohttp.ClientSession() as http:
            for port in written.values():
                async with http.get(f"http://127.0.0.1:{port}/healthz") as resp:
                    assert await resp.json() == {"status": "ok"}
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        taken.close()


@pytest.mark.asyncio
async def test_run_sandbox_without_a_ports_file_fails_on_a_taken_port(tmp_path: Path) -> None:
    """Asked for a port explicitly (no ports file to say otherwise), a taken one is an error."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(OSError):
            await run_sandbox(
                host="127.0.0.1",
                provincial_port=taken.getsockname()[1],
                wechat_port=0,
                data_dir=tmp_path,
                provincial_api_key=API_KEY,
                wechat_appid="wxdev000000000000",
                wechat_secret="dev-wechat-secret",
            )
