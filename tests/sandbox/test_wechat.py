"""The WeChat stand-in, exercised over real HTTP on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from sandbox.runner import RunningApp, start_app
from sandbox.wechat.app import STATE_KEY, build_wechat_app

APPID = "wxtest000000000001"
SECRET = "test-wechat-secret"


@dataclass
class WeChat:
    server: RunningApp
    http: aiohttp.ClientSession

    async def get(self, path: str, **params: str) -> dict[str, Any]:
        async with self.http.get(self.server.url + path, params=params) as resp:
            assert resp.status == 200  # WeChat answers errors with 200 and an errcode
            body: dict[str, Any] = await resp.json()
            return body

    async def login(self, code: str, **overrides: str) -> dict[str, Any]:
        params = {
            "appid": APPID,
            "secret": SECRET,
            "js_code": code,
            "grant_type": "authorization_code",
        }
        return await self.get("/sns/jscode2session", **(params | overrides))


@pytest_asyncio.fixture
async def wechat() -> AsyncIterator[WeChat]:
    server = await start_app(build_wechat_app(appid=APPID, secret=SECRET))
    async with aiohttp.ClientSession() as http:
        yield WeChat(server, http)
    await server.close()


@pytest.mark.asyncio
async def test_access_token(wechat: WeChat) -> None:
    ok = dict(grant_type="client_credential", appid=APPID, secret=SECRET)
    body = await wechat.get("/cgi-bin/token", **ok)
    assert set(body) == {"access_token", "expires_in"}
    assert body["expires_in"] == 7200 and len(body["access_token"]) >= 64
    state = wechat.server.runner.app[STATE_KEY]
    assert state.token_valid(body["access_token"])
    again = await wechat.get("/cgi-bin/token", **ok)
    assert again["access_token"] != body["access_token"]

    for params, errcode in (
        (ok | {"appid": "wxother"}, 40013),
        (ok | {"secret": "wrong"}, 40001),
        (ok | {"grant_type": "password"}, 40002),
        (ok | {"appid": ""}, 41002),
        (ok | {"secret": ""}, 41004),
    ):
        body = await wechat.get("/cgi-bin/token", **params)
        assert body["errcode"] == errcode, params
        assert body["errmsg"]
        assert "access_token" not in body


@pytest.mark.asyncio
async def test_jscode2session_is_deterministic_and_single_use(wechat: WeChat) -> None:
    first = await wechat.login("alice.1")
    assert set(first) == {"openid", "session_key", "unionid"}
    assert first["openid"].startswith("o") and len(first["openid"]) == 28
    assert len(first["unionid"]) == 28 and first["unionid"] != first["openid"]

    used = await wechat.login("alice.1")
    assert used["errcode"] == 40163 and used["errmsg"].startswith("code been used")

    # Another code of the same user key logs in the same user.
    second = await wechat.login("alice.2")
    assert (second["openid"], second["unionid"]) == (first["openid"], first["unionid"])
    other = await wechat.login("bob")
    assert other["openid"] != first["openid"]

    # The openid depends on the appid, the unionid does not.
    elsewhere = await start_app(build_wechat_app(appid="wxother000000000002", secret=SECRET))
    try:
        async with wechat.http.get(
            elsewhere.url + "/sns/jscode2session",
            params={
                "appid": "wxother000000000002",
                "secret": SECRET,
                "js_code": "alice.9",
                "grant_type": "authorization_code",
            },
        ) as resp:
            there = await resp.json()
    finally:
        await elsewhere.close()
    assert there["openid"] != first["openid"] and there["unionid"] == first["unionid"]


@pytest.mark.asyncio
async def test_jscode2session_errors(wechat: WeChat) -> None:
    assert (await wechat.login(""))["errcode"] == 40029
    assert (await wechat.login("invalid-code"))["errcode"] == 40029
    assert (await wechat.login("bad code!"))["errcode"] == 40029
    assert (await wechat.login("c1", appid="wxnope"))["errcode"] == 40013
    assert (await wechat.login("c2", secret="nope"))["errcode"] == 40125
    assert (await wechat.login("c3", grant_type="client_credential"))["errcode"] == 40002
    # Failed calls do not use the code up.
    assert "openid" in await wechat.login("c2")


@pytest.mark.asyncio
async def test_health_and_reset(wechat: WeChat) -> None:
    assert await wechat.get("/healthz") == {"status": "ok"}
    await wechat.login("carol.1")
    async with wechat.http.post(wechat.server.url + "/_control/reset") as resp:
        assert resp.status == 200
    assert "openid" in await wechat.login("carol.1")
