"""WeChat stand-in: stable_token, phone number exchange, expiring login codes, control API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest_asyncio

from sandbox.runner import RunningApp, start_app
from sandbox.wechat.app import build_wechat_app

APPID = "wxtest000000000001"
SECRET = "test-wechat-secret"


@dataclass
class WeChat:
    server: RunningApp
    http: aiohttp.ClientSession

    async def post(self, path: str, body: Any, **params: str) -> dict[str, Any]:
        async with self.http.post(self.server.url + path, json=body, params=params) as resp:
            assert resp.status == 200  # WeChat answers errors with 200 and an errcode
            answer: dict[str, Any] = await resp.json()
            return answer

    async def control(self, path: str, body: Any) -> tuple[int, Any]:
        async with self.http.post(self.server.url + "/_control" + path, json=body) as resp:
            return resp.status, await resp.json()

    async def stable(self, **overrides: Any) -> dict[str, Any]:
        body = {"grant_type": "client_credential", "appid": APPID, "secret": SECRET} | overrides
        return await self.post("/cgi-bin/stable_token", body)

    async def phone(self, token: str, code: Any) -> dict[str, Any]:
        return await self.post(
            "/wxa/business/getuserphonenumber", {"code": code}, access_token=token
        )

    async def login(self, code: str) -> dict[str, Any]:
        params = {"appid": APPID, "secret": SECRET, "js_code": code,
                  "grant_type": "authorization_code"}  # fmt: skip
        async with self.http.get(self.server.url + "/sns/jscode2session", params=params) as resp:
            answer: dict[str, Any] = await resp.json()
            return answer

    async def clock(self, offset: int) -> None:
        assert (await self.control("/clock", {"offsetSeconds": offset}))[0] == 200


@pytest_asyncio.fixture
async def wechat() -> AsyncIterator[WeChat]:
    server = await start_app(build_wechat_app(appid=APPID, secret=SECRET))
    async with aiohttp.ClientSession() as http:
        yield WeChat(server, http)
    await server.close()


async def test_stable_token(wechat: WeChat) -> None:
    first = await wechat.stable()
    assert set(first) == {"access_token", "expires_in"} and first["expires_in"] == 7200
    assert (await wechat.stable(force_refresh=False))["access_token"] == first["access_token"]

    await wechat.clock(1000)
    again = await wechat.stable()
    assert again["access_token"] == first["access_token"]
    assert 6199 <= again["expires_in"] <= 6200

    refreshed = await wechat.stable(force_refresh=True)
    assert refreshed["access_token"] != first["access_token"] and refreshed["expires_in"] == 7200
    assert (await wechat.stable())["access_token"] == refreshed["access_token"]
    # The previous token stays usable for 30 seconds after a forced refresh.
    assert (await wechat.phone(first["access_token"], "x"))["errcode"] == 40029
    await wechat.clock(1031)
    assert (await wechat.phone(first["access_token"], "x"))["errcode"] == 42001
    assert (await wechat.phone(refreshed["access_token"], "x"))["errcode"] == 40029

    # Expiry: a new token is issued once the current one has expired.
    await wechat.clock(1000 + 7201)
    assert (await wechat.stable())["access_token"] != refreshed["access_token"]

    for overrides, errcode in (
        ({"appid": "wxother"}, 40013),
        ({"secret": "wrong"}, 40125),
        ({"grant_type": "password"}, 40002),
        ({"appid": ""}, 41002),
        ({"secret": ""}, 41004),
        ({"force_refresh": "yes"}, 47001),
    ):
        body = await wechat.stable(**overrides)
        assert body["errcode"] == errcode, overrides
        assert "access_token" not in body


async def test_phone_number(wechat: WeChat) -> None:
    status, body = await wechat.control("/users", {"user": "alice", "phone": "13912345678"})
    assert (status, body) == (200, {"user": "alice", "phone": "13912345678"})
    status, minted = await wechat.control("/phone-codes", {"user": "alice"})
    assert status == 200
    token = (await wechat.stable())["access_token"]

    answer = await wechat.phone(token, minted["code"])
    assert answer["errcode"] == 0 and answer["errmsg"] == "ok"
    info = answer["phone_info"]
    assert info["phoneNumber"] == info["purePhoneNumber"] == "13912345678"
    assert info["countryCode"] == "86" and info["watermark"]["appid"] == APPID
    assert isinstance(info["watermark"]["timestamp"], int)

    assert (await wechat.phone(token, minted["code"]))["errcode"] == 40029  # single use
    assert (await wechat.phone(token, "made-up"))["errcode"] == 40029
    assert (await wechat.phone(token, None))["errcode"] == 40029

    _, late = await wechat.control("/phone-codes", {"user": "alice"})
    await wechat.clock(301)
    fresh_token = (await wechat.stable())["access_token"]
    assert (await wechat.phone(fresh_token, late["code"]))["errcode"] == 40029  # expired

    assert (await wechat.phone("not-a-token", "x"))["errcode"] == 40001
    assert (await wechat.phone("", "x"))["errcode"] == 41001
    await wechat.clock(7300)
    assert (await wechat.phone(token, "x"))["errcode"] == 42001

    # Control errors.
    assert (await wechat.control("/phone-codes", {"user": "nobody"}))[0] == 404
    assert (await wechat.control("/users", {"user": "bob", "phone": "12345"}))[0] == 400
    assert (await wechat.control("/users", {"user": "bad user", "phone": "13912345678"}))[0] == 400


async def test_minted_login_codes_expire(wechat: WeChat) -> None:
    _, first = await wechat.control("/codes", {"user": "carol"})
    _, second = await wechat.control("/codes", {"user": "carol"})
    _, stale = await wechat.control("/codes", {"user": "carol"})
    assert first["code"] != second["code"]
    one, two = await wechat.login(first["code"]), await wechat.login(second["code"])
    assert one["openid"] == two["openid"] and one["unionid"] == two["unionid"]
    assert (await wechat.login("carol.free-form"))["openid"] == one["openid"]
    assert (await wechat.login(first["code"]))["errcode"] == 40163

    await wechat.clock(301)
    assert (await wechat.login(stale["code"]))["errcode"] == 40029
    # Free-form codes (chosen by the test) carry no issue time and do not expire.
    assert "openid" in await wechat.login("carol.later")

    assert (await wechat.control("/reset", None))[0] == 200
    async with wechat.http.get(wechat.server.url + "/_control/clock") as resp:
        assert (await resp.json())["offsetSeconds"] == 0
    assert (await wechat.control("/clock", {"offsetSeconds": 1.5}))[0] == 400
