"""Payments against the WeChat Pay stand-in and the platform stand-in, over real HTTP.

The common ``settings`` make us the WeChat Pay stand-in's merchant; here the platform stand-in
processes cases by itself, so a charged case waits for its fee and moves on once the payment is
reported.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import httpx
import pytest

from api.composition import Services
from sandbox.runner import RunningApp
from sandbox.wechatpay.handle import WeChatPayStandIn
from tests.fixtures import standins
from tests.fixtures.declarations import synced
from tests.fixtures.identity import Outside, sso, user, wechat_login
from tests.fixtures.payments import Payer, WechatPayDesk


@pytest.fixture(scope="session")
async def auto_provincial_server() -> AsyncIterator[RunningApp]:
    async with standins.serving(standins.provincial_app(auto_process_seconds=0.2)) as server:
        yield server


@pytest.fixture
async def provincial(auto_provincial_server: RunningApp) -> AsyncIterator[RunningApp]:
    """The platform stand-in moving cases along by itself (every 0.2 s)."""
    yield await standins.fresh_provincial(auto_provincial_server)
    await standins.fresh_provincial(auto_provincial_server)


@pytest.fixture
async def payer(client: httpx.AsyncClient, outside: Outside, services: Services) -> Payer:
    await synced(services)
    signed_in = await wechat_login(client, outside, "wx-wangfang")
    bound = await sso(
        client, outside, user("wangfang"), purpose="bind", token=signed_in["accessToken"]
    )
    assert bound.status_code == 200, bound.text
    return Payer(client, outside, bound.json()["accessToken"])


@pytest.fixture
async def desk(wechatpay: WeChatPayStandIn) -> AsyncIterator[WechatPayDesk]:
    async with aiohttp.ClientSession() as session:
        yield WechatPayDesk(session, wechatpay.url)
