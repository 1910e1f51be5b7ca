"""The app push aggregator stand-in (JPush-like v3), over real HTTP on loopback."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from sandbox.apppush.app import build_apppush_app
from sandbox.runner import RunningApp, start_app

APP_KEY = "test-app-key"
MASTER_SECRET = "test-master-secret"


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


AUTH = basic(APP_KEY, MASTER_SECRET)


@dataclass
class Push:
    server: RunningApp
    http: aiohttp.ClientSession

    async def api(
        self,
        method: str,
        path: str,
        body: Any = None,
        auth: str | None = AUTH,
        **params: str,
    ) -> tuple[int, Any]:
        url = self.server.url + path
        headers = {"Authorization": auth} if auth else {}
        async with self.http.request(
            method, url, json=body, headers=headers, params=params
        ) as resp:
            text = await resp.text()
            return resp.status, (await resp.json()) if text else None

    async def control(self, method: str, path: str, body: Any = None, **params: str) -> Any:
        async with self.http.request(
            method, self.server.url + "/_control" + path, json=body, params=params
        ) as resp:
            assert resp.status == 200, await resp.text()
            return await resp.json()


@pytest_asyncio.fixture
async def apppush() -> AsyncIterator[Push]:
    server = await start_app(build_apppush_app(app_key=APP_KEY, master_secret=MASTER_SECRET))
    async with aiohttp.ClientSession() as http:
        yield Push(server, http)
    await server.close()


def notification(*rids: str, **options: Any) -> dict[str, Any]:
    return {
        "platform": "all",
        "audience": {"registration_id": list(rids)},
        "notification": {
            "alert": "您的居民身份证补领申请已受理",
            "android": {"title": "办理进度", "category": "WORK"},
            "ios": {"sound": "default"},
        },
        "options": {
            "third_party_channel": {
                "xiaomi": {"channel_id": "gov_progress"},
                "huawei": {"category": "WORK"},
            },
            **options,
        },
    }


async def test_register_send_and_receipts(apppush: Push) -> None:
    await apppush.control("POST", "/devices", {"registrationId": "1a0018970a8b2c3d4e5"})
    await apppush.control("POST", "/devices", {"registrationId": "ios0001", "platform": "ios"})
    await apppush.control("POST", "/devices", {"registrationId": "off0001", "online": False})

    status, body = await apppush.api(
        "POST", "/v3/push", notification("1a0018970a8b2c3d4e5", "ios0001", "off0001", sendno=7)
    )
    assert status == 200 and body["sendno"] == "7" and body["msg_id"].isdigit()
    msg_id = body["msg_id"]
    status, other = await apppush.api("POST", "/v3/push", notification("ios0001"))
    assert status == 200 and other["sendno"] == "0" and other["msg_id"] != msg_id

    status, received = await apppush.api(
        "GET", "/v3/received", msg_ids=f"{msg_id},{other['msg_id']},999"
    )
    assert status == 200
    assert received == [
        {"msg_id": msg_id, "android_received": 1, "ios_apns_sent": 1},
        {"msg_id": other["msg_id"], "android_received": 0, "ios_apns_sent": 1},
    ]

    pushes = (await apppush.control("GET", "/pushes", registrationId="ios0001"))["pushes"]
    assert [p["msgId"] for p in pushes] == [msg_id, other["msg_id"]]
    first = pushes[0]
    assert first["registrationIds"] == ["1a0018970a8b2c3d4e5", "ios0001", "off0001"]
    assert first["notification"]["android"]["title"] == "办理进度"
    assert first["options"]["third_party_channel"]["xiaomi"]["channel_id"] == "gov_progress"
    assert first["acceptedAt"].endswith("Z")
    only_android = await apppush.control("GET", "/pushes", registrationId="1a0018970a8b2c3d4e5")
    assert [p["msgId"] for p in only_android["pushes"]] == [msg_id]


async def test_unknown_audience_and_validation(apppush: Push) -> None:
    status, body = await apppush.api("POST", "/v3/push", notification("nobody"))
    assert status == 400
    assert body == {"error": {"code": 1011, "message": "cannot find user by this audience"}}

    await apppush.control("POST", "/devices", {"registrationId": "ios0002", "platform": "ios"})
    android_only = notification("ios0002") | {"platform": ["android"]}
    assert (await apppush.api("POST", "/v3/push", android_only))[1]["error"]["code"] == 1011

    bad_category = notification("ios0002")
    bad_category["options"]["third_party_channel"]["huawei"]["category"] = "SPAM"
    status, body = await apppush.api("POST", "/v3/push", bad_category)
    assert (status, body["error"]["code"]) == (400, 1003)
    no_content = notification("ios0002")
    del no_content["notification"]
    assert (await apppush.api("POST", "/v3/push", no_content))[1]["error"]["code"] == 1003
    status, body = await apppush.api("GET", "/v3/received")
    assert (status, body["error"]["code"]) == (400, 1003)


async def test_auth(apppush: Push) -> None:
    await apppush.control("POST", "/devices", {"registrationId": "r1"})
    for auth in (None, basic(APP_KEY, "wrong"), basic("other", "x"), "Bearer " + MASTER_SECRET):
        status, body = await apppush.api("POST", "/v3/push", notification("r1"), auth=auth)
        assert status == 401 and body["error"]["code"] == 1004
        assert (await apppush.api("GET", "/v3/devices/r1", auth=auth))[0] == 401
    assert (await apppush.control("GET", "/pushes"))["pushes"] == []


async def test_devices_tags_alias(apppush: Push) -> None:
    await apppush.control("POST", "/devices", {"registrationId": "r1"})
    await apppush.control("POST", "/devices", {"registrationId": "r2"})
    status, body = await apppush.api(
        "POST", "/v3/devices/r1", {"tags": {"add": ["620100", "elderly"]}, "alias": "user-42"}
    )
    assert (status, body) == (200, None)
    status, body = await apppush.api("GET", "/v3/devices/r1")
    assert (status, body) == (
        200,
        {"tags": ["620100", "elderly"], "alias": "user-42", "mobile": None},
    )
    await apppush.api("POST", "/v3/devices/r1", {"tags": {"remove": ["elderly"]}})
    assert (await apppush.api("GET", "/v3/devices/r1"))[1]["tags"] == ["620100"]
    await apppush.api("POST", "/v3/devices/r2", {"tags": {"add": ["620300"]}})

    status, body = await apppush.api("GET", "/v3/devices/nobody")
    assert (status, body["error"]["code"]) == (400, 7002)

    # Audiences by tag and alias, and everybody.
    by_tag = notification() | {"audience": {"tag": ["620100"]}}
    status, body = await apppush.api("POST", "/v3/push", by_tag)
    assert status == 200
    assert (await apppush.control("GET", "/pushes"))["pushes"][-1]["registrationIds"] == ["r1"]
    by_alias = notification() | {"audience": {"alias": ["user-42"]}}
    assert (await apppush.api("POST", "/v3/push", by_alias))[0] == 200
    everyone = notification() | {"audience": "all"}
    status, body = await apppush.api("POST", "/v3/push", everyone)
    received = (await apppush.api("GET", "/v3/received", msg_ids=body["msg_id"]))[1]
    assert received[0]["android_received"] == 2


async def test_faults_and_reset(apppush: Push) -> None:
    await apppush.control("POST", "/devices", {"registrationId": "r1"})
    fault = await apppush.control("POST", "/faults", {"mode": "error", "status": 503, "times": 1})
    assert fault["fault"]["pathPrefix"] == "/v3/"
    status, body = await apppush.api("POST", "/v3/push", notification("r1"))
    assert status == 503 and body["error"]["code"] == 1000
    assert (await apppush.api("POST", "/v3/push", notification("r1")))[0] == 200

    await apppush.control("POST", "/faults", {"mode": "reset"})
    with pytest.raises(aiohttp.ClientConnectionError):
        await apppush.api("POST", "/v3/push", notification("r1"))
    await apppush.control("POST", "/reset")
    assert (await apppush.control("GET", "/faults")) == {"fault": None}
    assert (await apppush.control("GET", "/devices"))["devices"] == []
    async with apppush.http.get(apppush.server.url + "/healthz") as resp:
        assert await resp.json() == {"status": "ok"}


def single(target: str, alert: str = "系统维护通知") -> dict[str, Any]:
    return {
        "platform": "all",
        "target": target,
        "notification": {"alert": alert, "android": {"title": "通知公告"}},
        "options": {"third_party_channel": {"huawei": {"category": "WORK"}}},
    }


async def test_batch_single_push_answers_per_cid_and_never_repeats_a_cid(apppush: Push) -> None:
    """JPush's 批量单推: one request, a push per cid, each answered on its own; the same cid
    again (a caller's retry) answers the first result and pushes nothing more."""
    await apppush.control("POST", "/devices", {"registrationId": "bandroid01"})
    await apppush.control("POST", "/devices", {"registrationId": "bios01", "platform": "ios"})
    status, pool = await apppush.api("GET", "/v3/push/cid", count="4")
    assert status == 200 and len(set(pool["cidlist"])) == 4
    assert all(c.startswith(f"{APP_KEY}-") for c in pool["cidlist"])
    one, two, three, four = pool["cidlist"]
    pushlist = {
        one: single("bandroid01", "给安卓"),
        two: single("bios01", "给苹果"),
        three: single("nobody01"),
        four: {**single("bandroid01"), "notification": {}},
        "not-a-cid": single("bandroid01"),
    }
    status, answers = await apppush.api(
        "POST", "/v3/push/batch/regid/single", {"pushlist": pushlist}
    )
    assert status == 200
    assert set(answers) == set(pushlist)
    assert answers[one]["msg_id"].isdigit() and answers[two]["msg_id"].isdigit()
    assert answers[one]["msg_id"] != answers[two]["msg_id"]
    assert answers[three] == {
        "error": {"code": 1011, "message": "cannot find user by this audience"}
    }
    assert answers[four]["error"]["code"] == 1003
    assert answers["not-a-cid"]["error"]["code"] == 1003

    pushes = (await apppush.control("GET", "/pushes"))["pushes"]
    assert [(p["registrationIds"], p["notification"]["alert"]) for p in pushes] == [
        (["bandroid01"], "给安卓"),
        (["bios01"], "给苹果"),
    ]
    status, received = await apppush.api(
        "GET", "/v3/received", msg_ids=f"{answers[one]['msg_id']},{answers[two]['msg_id']}"
    )
    assert received == [
        {"msg_id": answers[one]["msg_id"], "android_received": 1, "ios_apns_sent": 0},
        {"msg_id": answers[two]["msg_id"], "android_received": 0, "ios_apns_sent": 1},
    ]

    # The caller retries the whole batch (its reply was lost): nothing is pushed twice, and a
    # cid that failed before is tried again.
    await apppush.control("POST", "/devices", {"registrationId": "nobody01"})
    status, again = await apppush.api("POST", "/v3/push/batch/regid/single", {"pushlist": pushlist})
    assert status == 200
    assert again[one] == answers[one] and again[two] == answers[two]
    assert again[three]["msg_id"].isdigit()
    pushes = (await apppush.control("GET", "/pushes"))["pushes"]
    assert [p["registrationIds"] for p in pushes] == [["bandroid01"], ["bios01"], ["nobody01"]]


async def test_batch_single_push_limits_and_auth(apppush: Push) -> None:
    cid = f"{APP_KEY}-00000000-0000-4000-8000-000000000000"
    status, body = await apppush.api(
        "POST", "/v3/push/batch/regid/single", {"pushlist": {cid: single("x1")}}, auth=None
    )
    assert status == 401 and body["error"]["code"] == 1004
    for bad in ({"pushlist": {}}, {"pushlist": []}, {"pushlist": {cid: single("x1")}, "x": 1}):
        status, body = await apppush.api("POST", "/v3/push/batch/regid/single", bad)
        assert status == 400 and body["error"]["code"] == 1003, bad
    too_many = {f"{APP_KEY}-00000000-0000-4000-8000-{n:012d}": single("x1") for n in range(1001)}
    status, body = await apppush.api("POST", "/v3/push/batch/regid/single", {"pushlist": too_many})
    assert status == 400 and body["error"]["code"] == 1003
    status, body = await apppush.api("GET", "/v3/push/cid", count="1001")
    assert status == 400
