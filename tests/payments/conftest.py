"""Payments against the WeChat Pay stand-in and the platform stand-in, over real HTTP.

The common ``settings`` make us the WeChat Pay stand-in's merchant; here the platform stand-in
processes cases by itself, so a charged case waits for its fee and moves on once the payment is
reported.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest

from api.composition import Services
from core.settings import Settings
from sandbox.runner import RunningApp
from tests.api.declarations.conftest import (
    Applicant,
    eventually,
    first_format,
    live,
    outside,
    services,
    synced,
    worker,
)
from tests.api.identity.conftest import Outside, bearer, sso, user, wechat_login
from tests.conftest import (
    CALLBACK_SECRET,
    OAUTH_CLIENT_ID,
    OAUTH_CLIENT_SECRET,
    OAUTH_ISSUER,
    OAUTH_REDIRECT_URI,
    PROVINCIAL_KEY,
)

__all__ = ["live", "outside", "services", "worker"]

CHARGED_ITEM_NAME = "临时居民身份证申领"


@pytest.fixture
async def provincial(tmp_path: Path) -> AsyncIterator[RunningApp]:
    """The platform stand-in moving cases along by itself (every 0.2 s)."""
    from sandbox.provincial.app import build_provincial_app
    from sandbox.provincial.identity import OAuthClient
    from sandbox.runner import start_app

    app = build_provincial_app(
        api_key=PROVINCIAL_KEY,
        oauth_clients={OAUTH_CLIENT_ID: OAuthClient(OAUTH_CLIENT_SECRET, (OAUTH_REDIRECT_URI,))},
        issuer=OAUTH_ISSUER,
        callback_secret=CALLBACK_SECRET,
        callback_retry_base=0.05,
        auto_process_seconds=0.2,
    )
    running = await start_app(app, "127.0.0.1", 0)
    try:
        yield running
    finally:
        await running.runner.cleanup()


class Payer(Applicant):
    """A citizen signed in with WeChat and bound to a real name, who applies and pays."""

    async def charged_item(self) -> str:
        resp = await self.client.get("/api/v1/items", params={"q": CHARGED_ITEM_NAME})
        assert resp.status_code == 200, resp.text
        return str(resp.json()["items"][0]["code"])

    async def accepted_with_fee(self) -> tuple[str, dict[str, Any]]:
        """Apply to the charged item; returns the declaration id and its unpaid notice."""
        draft = await self.create(await self.charged_item())
        await self.fill(draft["id"])
        for material in draft["materials"]:
            resp = await self.upload(draft["id"], material["code"], first_format(material))
            assert resp.status_code == 200, resp.text
        assert (await self.submit(draft["id"])).status_code == 200
        notice = await eventually(lambda: self.notice_of(draft["id"]))
        return draft["id"], notice

    async def notice_of(self, declaration_id: str) -> dict[str, Any] | None:
        resp = await self.client.get(
            "/api/v1/payments/notices",
            params={"declarationId": declaration_id, "status": "all"},
            headers=self.headers,
        )
        assert resp.status_code == 200, resp.text
        items = resp.json()["items"]
        return dict(items[0]) if items else None

    async def order(
        self, notice_id: str, key: str | None = None, channel: str = "jsapi"
    ) -> httpx.Response:
        return await self.client.post(
            "/api/v1/payments/orders",
            json={"noticeId": notice_id, "channel": channel},
            headers={**self.headers, "Idempotency-Key": key or str(uuid.uuid4())},
        )

    async def order_state(self, order_id: str) -> dict[str, Any]:
        resp = await self.client.get(f"/api/v1/payments/orders/{order_id}", headers=self.headers)
        assert resp.status_code == 200, resp.text
        return dict(resp.json())

    async def wait_paid(self, order_id: str) -> dict[str, Any]:
        async def paid() -> dict[str, Any] | None:
            order = await self.order_state(order_id)
            return order if order["status"] == "paid" else None

        return dict(await eventually(paid))


@pytest.fixture
async def payer(client: httpx.AsyncClient, outside: Outside, services: Services) -> Payer:
    await synced(services)
    signed_in = await wechat_login(client, outside, "wx-wangfang")
    bound = await sso(
        client, outside, user("wangfang"), purpose="bind", token=signed_in["accessToken"]
    )
    assert bound.status_code == 200, bound.text
    return Payer(client, outside, bound.json()["accessToken"])


class WechatPayDesk:
    """The stand-in's control side: pay as the citizen would, read what it sent."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session, self.url = session, url

    async def post(self, path: str, body: Any = None) -> Any:
        async with self.session.post(f"{self.url}{path}", json=body or {}) as resp:
            assert resp.status < 300, await resp.text()
            return await resp.json() if resp.content_length else None

    async def get(self, path: str) -> Any:
        async with self.session.get(f"{self.url}{path}") as resp:
            assert resp.status == 200, await resp.text()
            return await resp.json()

    async def pay(self, out_trade_no: str) -> Any:
        return await self.post(f"/_control/transactions/{out_trade_no}/pay", {"result": "SUCCESS"})


@pytest.fixture
async def desk(settings: Settings) -> AsyncIterator[WechatPayDesk]:
    async with aiohttp.ClientSession() as session:
        yield WechatPayDesk(session, settings.wechatpay.base_url)


async def platform_reports(outside: Outside) -> list[dict[str, Any]]:
    async with outside.session.get(f"{outside.provincial}/_control/payment-reports") as resp:
        assert resp.status == 200
        body = await resp.json()
    return list(body["reports"] if isinstance(body, dict) else body)


__all__ += ["bearer", "platform_reports"]
