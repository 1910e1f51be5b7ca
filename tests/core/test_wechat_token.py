"""WeChat's access token is shared by every process through Redis; when WeChat rejects the one
in Redis (another process refreshed it, or WeChat expired it early) our client refreshes it and
sends the request once more (``WechatClient._with_token``), against the WeChat stand-in over
real HTTP and a real Valkey."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from redis.asyncio import Redis

from core.clients.wechat import WechatClient, subscribe_data
from core.settings import HttpClientSettings, Secret, WechatSettings
from sandbox.runner import RunningApp, start_app
from sandbox.wechat.app import build_wechat_app

APPID = "wxtokentest000001"
SECRET = "token-test-secret"
TOKEN_KEY = f"wechat:access-token:{APPID}"


@pytest.fixture
async def stand_in() -> AsyncIterator[RunningApp]:
    running = await start_app(build_wechat_app(appid=APPID, secret=SECRET))
    try:
        yield running
    finally:
        await running.close()


async def control(http: aiohttp.ClientSession, base: str, path: str, body: object) -> object:
    async with http.post(f"{base}/_control{path}", json=body) as resp:
        assert resp.status == 200, await resp.text()
        return (await resp.json())["code"] if path != "/users" else None


async def test_a_rejected_token_is_refreshed_and_the_request_sent_once_more(
    stand_in: RunningApp, redis: Redis
) -> None:
    async with aiohttp.ClientSession() as http:
        client = WechatClient(
            http,
            redis,
            WechatSettings(base_url=stand_in.url, appid=APPID, secret=Secret(SECRET)),
            HttpClientSettings(retries=1, backoff_base=0.01),
        )
        await control(http, stand_in.url, "/users", {"user": "alice", "phone": "13912345678"})
        code = await control(http, stand_in.url, "/phone-codes", {"user": "alice"})
        # What another process left, or a token WeChat no longer takes.
        await redis.set(TOKEN_KEY, b"a-token-wechat-no-longer-takes")

        assert await client.phone_number(str(code)) == "13912345678"

        fresh = await redis.get(TOKEN_KEY)
        assert fresh and fresh != b"a-token-wechat-no-longer-takes"
        # The refreshed token is used as it is from now on.
        code = await control(http, stand_in.url, "/phone-codes", {"user": "alice"})
        assert await client.phone_number(str(code)) == "13912345678"
        assert await redis.get(TOKEN_KEY) == fresh


async def test_a_subscribe_message_goes_once_with_a_refreshed_token_and_its_fields_as_given(
    stand_in: RunningApp, redis: Redis
) -> None:
    """A notice's fields are encoded once (``subscribe_data``) and sent to each recipient; the
    send path with the token written in follows a refreshed token."""
    async with aiohttp.ClientSession() as http:
        client = WechatClient(
            http,
            redis,
            WechatSettings(base_url=stand_in.url, appid=APPID, secret=Secret(SECRET)),
            HttpClientSettings(retries=1, backoff_base=0.01),
        )
        grants = {"openids": ["oTokenA", "oTokenB"], "templateId": "TPL_NOTICE"}
        async with http.post(f"{stand_in.url}/_control/subscriptions/bulk", json=grants) as resp:
            assert resp.status == 200, await resp.text()
        fields = {"thing1": "系统维护通知", "thing2": "周六凌晨暂停网上申报"}
        first = await client.send_subscribe_message(
            openid="oTokenA", template_id="TPL_NOTICE", data=fields, page=None, state="formal"
        )
        await redis.set(TOKEN_KEY, b"a-token-wechat-no-longer-takes")
        client._memo = None  # as after the memo's 30 s: the token is read from Redis again
        second = await client.send_subscribe_message(
            openid="oTokenB",
            template_id="TPL_NOTICE",
            data=subscribe_data(fields),
            page="pages/inbox/index",
            state="formal",
        )
        assert first.errcode == 0 and second.errcode == 0
        assert await redis.get(TOKEN_KEY) != b"a-token-wechat-no-longer-takes"
        async with http.get(f"{stand_in.url}/_control/sent") as resp:
            sent = (await resp.json())["messages"]
    assert [(m["touser"], m["page"], m["lang"]) for m in sent] == [
        ("oTokenA", None, "zh_CN"),
        ("oTokenB", "pages/inbox/index", "zh_CN"),
    ]
    assert all(m["data"] == {key: {"value": value} for key, value in fields.items()} for m in sent)
