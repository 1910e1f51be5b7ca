"""Every login path, and one account per person whatever the channel."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from api.app import create_app
from core.settings import Settings
from tests.fixtures.identity import Outside, bearer, sms_login, sso, user, wechat_login
from tests.fixtures.servers import serve_in_process


async def test_wechat_login_creates_then_finds_the_account(
    client: httpx.AsyncClient, outside: Outside
) -> None:
    first = await wechat_login(client, outside, "wx-alice")
    assert first["tokenType"] == "Bearer" and first["expiresIn"] > 0
    assert first["citizen"]["realNameBound"] is False
    assert first["citizen"]["wechatBound"] is True
    assert "sessionKey" not in str(first)
    again = await wechat_login(client, outside, "wx-alice")
    assert again["citizen"]["id"] == first["citizen"]["id"]
    other = await wechat_login(client, outside, "wx-bob")
    assert other["citizen"]["id"] != first["citizen"]["id"]
    me = await client.get("/api/v1/me", headers=bearer(first["accessToken"]))
    assert me.status_code == 200 and me.json()["id"] == first["citizen"]["id"]


async def test_wechat_phone_binding_is_masked(client: httpx.AsyncClient, outside: Outside) -> None:
    tokens = await wechat_login(client, outside, "wx-carol")
    code = await outside.wechat_phone_code("wx-carol", "13700001111")
    resp = await client.post(
        "/api/v1/auth/wechat/phone", json={"code": code}, headers=bearer(tokens["accessToken"])
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["phone"] == "137****1111"


async def test_app_login_through_the_platform(client: httpx.AsyncClient, outside: Outside) -> None:
    lisi = user("lisi")
    resp = await sso(client, outside, lisi)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["sessionAssuranceLevel"] == lisi.assurance_level
    citizen = body["citizen"]
    assert citizen["realNameBound"] is True
    assert citizen["idNumber"] == lisi.id_number[:4] + "*" * 10 + lisi.id_number[-4:]
    assert citizen["name"] == lisi.name[0] + "*" * (len(lisi.name) - 1)
    assert lisi.phone not in resp.text and lisi.id_number not in resp.text
    again = await sso(client, outside, lisi)
    assert again.json()["citizen"]["id"] == citizen["id"]


async def test_sms_login_for_the_app(client: httpx.AsyncClient, outside: Outside) -> None:
    tokens = await sms_login(client, outside, "13600002222")
    assert tokens["citizen"]["phone"] == "136****2222"
    assert tokens["sessionAssuranceLevel"] == 0
    again = await sms_login(client, outside, "13600002222")
    assert again["citizen"]["id"] == tokens["citizen"]["id"]


async def test_same_person_by_wechat_and_by_app_is_one_account(
    client: httpx.AsyncClient, outside: Outside
) -> None:
    zhangsan = user("zhangsan")
    app = await sso(client, outside, zhangsan)  # first seen in the app
    account = app.json()["citizen"]["id"]

    wechat = await wechat_login(client, outside, "wx-zhangsan")  # then in the mini-program
    assert wechat["citizen"]["id"] != account
    bound = await sso(client, outside, zhangsan, purpose="bind", token=wechat["accessToken"])
    assert bound.status_code == 200, bound.text
    assert bound.json()["citizen"]["id"] == account
    assert bound.json()["citizen"]["wechatBound"] is True

    # The channel-only account is gone: its session ends, and WeChat now signs in to the person.
    stale = await client.get("/api/v1/me", headers=bearer(wechat["accessToken"]))
    assert stale.status_code == 401 and stale.json()["code"] == "TOKEN_REVOKED"
    assert (await wechat_login(client, outside, "wx-zhangsan"))["citizen"]["id"] == account
    # And the phone the platform vouched for signs the app user in to the same account.
    assert (await sms_login(client, outside, zhangsan.phone))["citizen"]["id"] == account


async def test_binding_a_real_name_to_a_new_wechat_user(
    client: httpx.AsyncClient, outside: Outside
) -> None:
    wechat = await wechat_login(client, outside, "wx-wangfang")
    blocked = await client.get("/api/v1/me/real-name", headers=bearer(wechat["accessToken"]))
    assert blocked.status_code == 403
    assert blocked.json()["code"] == "ASSURANCE_LEVEL_TOO_LOW"
    assert blocked.json()["requiredLevel"] == 2 and blocked.json()["currentLevel"] == 0

    bound = await sso(
        client, outside, user("wangfang"), purpose="bind", token=wechat["accessToken"]
    )
    assert bound.json()["citizen"]["id"] == wechat["citizen"]["id"]
    real = await client.get("/api/v1/me/real-name", headers=bearer(bound.json()["accessToken"]))
    assert real.status_code == 200 and real.json()["realNameBound"] is True
    # Later WeChat sessions carry the level the platform vouched for.
    later = await wechat_login(client, outside, "wx-wangfang")
    assert later["sessionAssuranceLevel"] == user("wangfang").assurance_level


@pytest.mark.parametrize("purpose", ["bind"])
async def test_binding_needs_a_signed_in_citizen(client: httpx.AsyncClient, purpose: str) -> None:
    resp = await client.post("/api/v1/auth/sso/start", json={"purpose": purpose})
    assert resp.status_code == 401


async def test_refresh_rotates_and_logout_ends_the_session(
    client: httpx.AsyncClient, outside: Outside
) -> None:
    tokens = await wechat_login(client, outside, "wx-dave")
    rotated = await client.post(
        "/api/v1/auth/refresh", json={"refreshToken": tokens["refreshToken"]}
    )
    assert rotated.status_code == 200
    fresh = rotated.json()
    assert fresh["refreshToken"] != tokens["refreshToken"]
    assert (await client.get("/api/v1/me", headers=bearer(fresh["accessToken"]))).status_code == 200

    out = await client.post("/api/v1/auth/logout", headers=bearer(fresh["accessToken"]))
    assert out.status_code == 204
    after = await client.get("/api/v1/me", headers=bearer(fresh["accessToken"]))
    assert after.json()["code"] == "TOKEN_REVOKED"
    refused = await client.post(
        "/api/v1/auth/refresh", json={"refreshToken": fresh["refreshToken"]}
    )
    assert refused.status_code == 401


async def test_logout_everywhere(client: httpx.AsyncClient, outside: Outside) -> None:
    phone_session = await sms_login(client, outside, "13600003333")
    second = await sms_login(client, outside, "13600003333")
    out = await client.post("/api/v1/auth/logout-all", headers=bearer(second["accessToken"]))
    assert out.status_code == 204
    for session in (phone_session, second):
        resp = await client.get("/api/v1/me", headers=bearer(session["accessToken"]))
        assert resp.status_code == 401


async def test_jwks_publishes_the_signing_key(client: httpx.AsyncClient) -> None:
    keys = (await client.get("/.well-known/jwks.json")).json()["keys"]
    assert keys and all(k["kty"] == "EC" and k["alg"] == "ES256" and "d" not in k for k in keys)


async def test_revocation_reaches_every_api_process(
    client: httpx.AsyncClient, outside: Outside, settings: Settings
) -> None:
    """Two API processes (two apps with their own resources) share only Redis and PostgreSQL."""
    tokens = await wechat_login(client, outside, "wx-gina")
    async with serve_in_process(create_app(settings, configure_logs=False)) as other:
        assert (
            await other.get("/api/v1/me", headers=bearer(tokens["accessToken"]))
        ).status_code == 200
        await client.post("/api/v1/auth/logout", headers=bearer(tokens["accessToken"]))
        async with asyncio.timeout(5):
            while (
                await other.get("/api/v1/me", headers=bearer(tokens["accessToken"]))
            ).status_code != 401:
                await asyncio.sleep(0.01)
