"""The SMS gateway stand-in, over real HTTP on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from sandbox.runner import RunningApp, start_app
from sandbox.sms.app import build_sms_app

API_KEY = "test-sms-key"
AUTH = {"Authorization": f"Bearer {API_KEY}"}
SEND = "/sms/v1/messages"


@dataclass
class Gateway:
    server: RunningApp
    http: aiohttp.ClientSession

    async def send(
        self, phone: str = "13912345678", headers: dict[str, str] = AUTH, **extra: Any
    ) -> tuple[int, Any]:
        body = {
            "phone": phone,
            "signName": "西岭政务",
            "templateCode": "SMS_LOGIN_CODE",
            "templateParams": {"code": "123456"},
            "outId": None,
        } | extra
        async with self.http.post(self.server.url + SEND, json=body, headers=headers) as resp:
            return resp.status, await resp.json()

    async def control(self, method: str, path: str, body: Any = None, **params: str) -> Any:
        url = self.server.url + "/_control" + path
        async with self.http.request(method, url, json=body, params=params) as resp:
            assert resp.status == 200
            return await resp.json()


@pytest_asyncio.fixture
async def gateway() -> AsyncIterator[Gateway]:
    server = await start_app(build_sms_app(api_key=API_KEY))
    async with aiohttp.ClientSession() as http:
        yield Gateway(server, http)
    await server.close()


async def test_send_and_list(gateway: Gateway) -> None:
    status, body = await gateway.send(outId="login-1")
    assert status == 200 and body["status"] == "accepted" and body["messageId"]
    status, second = await gateway.send(templateParams={"code": "654321"})
    assert status == 200
    status, _ = await gateway.send(phone="+8613800000000")
    assert status == 200

    listed = await gateway.control("GET", "/messages", phone="13912345678")
    messages = listed["messages"]
    assert [m["messageId"] for m in messages] == [body["messageId"], second["messageId"]]
    first = messages[0]
    assert first["phone"] == "13912345678" and first["templateCode"] == "SMS_LOGIN_CODE"
    assert first["templateParams"] == {"code": "123456"} and first["outId"] == "login-1"
    assert first["acceptedAt"].endswith("Z") and messages[1]["outId"] is None
    everything = (await gateway.control("GET", "/messages"))["messages"]
    assert len(everything) == 3 and everything[-1]["phone"] == "13800000000"

    await gateway.control("POST", "/reset")
    assert (await gateway.control("GET", "/messages"))["messages"] == []


async def test_validation_and_auth(gateway: Gateway) -> None:
    for phone in ("12345678901", "1391234567", "139123456789", "abc", "+1 555 0100"):
        status, body = await gateway.send(phone=phone)
        assert (status, body["code"]) == (400, "INVALID_PHONE"), phone
        assert body["message"]
    status, body = await gateway.send(templateParams={"code": 123456})
    assert (status, body["code"]) == (400, "INVALID_PARAMETER")
    status, body = await gateway.send(signName="")
    assert (status, body["code"]) == (400, "INVALID_PARAMETER")

    assert (await gateway.send(headers={}))[0] == 401
    status, body = await gateway.send(headers={"Authorization": "Bearer wrong"})
    assert (status, body["code"]) == (401, "UNAUTHORIZED")
    assert (await gateway.control("GET", "/messages"))["messages"] == []


async def test_flow_control(gateway: Gateway) -> None:
    for _ in range(5):
        assert (await gateway.send())[0] == 200
    status, body = await gateway.send()
    assert (status, body["code"]) == (429, "FLOW_CONTROL")
    assert (await gateway.send(phone="13800000001"))[0] == 200  # per phone
    assert len((await gateway.control("GET", "/messages", phone="13912345678"))["messages"]) == 5

    await gateway.control("POST", "/clock", {"offsetSeconds": 61})
    assert (await gateway.send())[0] == 200


async def test_faults(gateway: Gateway) -> None:
    fault = await gateway.control("POST", "/faults", {"mode": "error", "status": 503, "times": 1})
    assert fault["fault"]["pathPrefix"] == "/sms/"
    status, body = await gateway.send()
    assert (status, body["code"]) == (503, "INJECTED_FAULT")
    assert (await gateway.send())[0] == 200

    await gateway.control("POST", "/faults", {"mode": "reset"})
    with pytest.raises(aiohttp.ClientConnectionError):
        await gateway.send()
    assert (await gateway.control("DELETE", "/faults")) == {"fault": None}
    assert (await gateway.send())[0] == 200
    async with gateway.http.get(gateway.server.url + "/healthz") as resp:
        assert await resp.json() == {"status": "ok"}


async def test_receipts(gateway: Gateway) -> None:
    _, ok = await gateway.send()
    failing = await gateway.control("POST", "/sms-fail", {"phone": "+8613800000002"})
    assert failing == {"failingPhones": ["13800000002"]}
    _, bad = await gateway.send(phone="13800000002")

    url = gateway.server.url + "/sms/v1/receipts"
    ids = f"{ok['messageId']},{bad['messageId']},unknown"
    async with gateway.http.get(url, params={"messageIds": ids}, headers=AUTH) as resp:
        assert resp.status == 200
        receipts = (await resp.json())["receipts"]
    assert [r["messageId"] for r in receipts] == [ok["messageId"], bad["messageId"]]
    assert receipts[0]["status"] == "DELIVERED" and receipts[0]["errorCode"] is None
    assert receipts[1]["status"] == "FAILED" and receipts[1]["errorCode"] == "UNDELIVERABLE"
    assert all(r["reportedAt"].endswith("Z") for r in receipts)

    await gateway.control("POST", "/sms-fail", {"phone": "13800000002", "fail": False})
    _, later = await gateway.send(phone="13800000002")
    params = {"messageIds": later["messageId"]}
    async with gateway.http.get(url, params=params, headers=AUTH) as resp:
        assert (await resp.json())["receipts"][0]["status"] == "DELIVERED"

    async with gateway.http.get(url, params=params) as resp:
        assert resp.status == 401
    async with gateway.http.get(url, headers=AUTH) as resp:
        assert resp.status == 400 and (await resp.json())["code"] == "INVALID_PARAMETER"
