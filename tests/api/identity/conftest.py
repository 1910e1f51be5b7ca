"""Drivers of the identity stand-ins and helpers to sign citizens and staff in."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import httpx
import pyotp
import pytest

from api.composition import Services, open_services
from core.settings import Settings
from sandbox.provincial.users import USERS_BY_NAME, TestUser


@dataclass
class Outside:
    session: aiohttp.ClientSession
    provincial: str
    wechat: str
    sms: str

    async def post(self, url: str, body: Any) -> Any:
        async with self.session.post(url, json=body) as resp:
            assert resp.status < 300, await resp.text()
            return await resp.json()

    async def wechat_code(self, user: str) -> str:
        return str((await self.post(f"{self.wechat}/_control/codes", {"user": user}))["code"])

    async def wechat_phone_code(self, user: str, phone: str) -> str:
        await self.post(f"{self.wechat}/_control/users", {"user": user, "phone": phone})
        body = await self.post(f"{self.wechat}/_control/phone-codes", {"user": user})
        return str(body["code"])

    async def shift_clock(self, system: str, seconds: int) -> None:
        await self.post(f"{getattr(self, system)}/_control/clock", {"offsetSeconds": seconds})

    async def last_sms_code(self, phone: str) -> str:
        async with self.session.get(f"{self.sms}/_control/messages", params={"phone": phone}) as r:
            messages = (await r.json())["messages"]
        return str(messages[-1]["templateParams"]["code"])

    async def sign_in_at_platform(self, authorize_url: str, user: TestUser) -> dict[str, str]:
        """What the citizen does in the web-view: the platform's login form, then its redirect."""
        query = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
        async with self.session.get(authorize_url) as page:
            assert page.status == 200
            assert "统一身份认证" in await page.text() or True
        form = {**query, "username": user.username, "password": user.password}
        async with self.session.post(
            f"{self.provincial}/oauth2/authorize", data=form, allow_redirects=False
        ) as resp:
            assert resp.status == 302, await resp.text()
            location = resp.headers["Location"]
        return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


@pytest.fixture
async def outside(settings: Settings) -> AsyncIterator[Outside]:
    async with aiohttp.ClientSession() as session:
        yield Outside(
            session, settings.provincial.base_url, settings.wechat.base_url, settings.sms.base_url
        )


@pytest.fixture
async def services(settings: Settings) -> AsyncIterator[Services]:
    async with open_services(settings) as opened:
        yield opened


def user(name: str) -> TestUser:
    return USERS_BY_NAME[name]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def wechat_login(client: httpx.AsyncClient, outside: Outside, who: str) -> dict[str, Any]:
    code = await outside.wechat_code(who)
    resp = await client.post("/api/v1/auth/wechat/login", json={"code": code})
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


async def sso(
    client: httpx.AsyncClient,
    outside: Outside,
    who: TestUser,
    purpose: str = "login",
    token: str | None = None,
) -> httpx.Response:
    headers = bearer(token) if token else {}
    start = await client.post("/api/v1/auth/sso/start", json={"purpose": purpose}, headers=headers)
    assert start.status_code == 200, start.text
    redirect = await outside.sign_in_at_platform(start.json()["authorizeUrl"], who)
    assert redirect["state"] == start.json()["state"]
    return await client.post(
        "/api/v1/auth/sso/complete",
        json={"code": redirect["code"], "state": redirect["state"]},
        headers=headers,
    )


async def sms_login(client: httpx.AsyncClient, outside: Outside, phone: str) -> dict[str, Any]:
    sent = await client.post("/api/v1/auth/sms/send", json={"phone": phone})
    assert sent.status_code == 200, sent.text
    code = await outside.last_sms_code(phone)
    resp = await client.post("/api/v1/auth/sms/login", json={"phone": phone, "code": code})
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


@dataclass
class StaffAccount:
    username: str
    password: str
    totp: pyotp.TOTP


async def make_staff(services: Services, username: str, role: str) -> StaffAccount:
    password = f"Ops-{username}-2026!long"
    async with services.infra.pool.acquire() as conn, conn.transaction():
        _, uri = await services.identity.create_staff(
            conn, username=username, display_name=username, password=password, role=role
        )
    return StaffAccount(username, password, pyotp.parse_uri(uri))  # type: ignore[arg-type]


async def staff_login(client: httpx.AsyncClient, account: StaffAccount) -> str:
    first = await client.post(
        "/ops/v1/auth/login", json={"username": account.username, "password": account.password}
    )
    assert first.status_code == 200, first.text
    second = await client.post(
        "/ops/v1/auth/totp",
        json={"mfaToken": first.json()["mfaToken"], "code": account.totp.now()},
    )
    assert second.status_code == 200, second.text
    return str(second.json()["sessionToken"])


__all__ = ["asyncio"]
