"""Each attack is refused with a clear 4xx and a stable code."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from pathlib import Path

import httpx
import jwt
import pytest

from api.composition import Services
from core.settings import Settings
from sandbox.runner import RunningApp
from tests.fixtures.identity import (
    Outside,
    bearer,
    make_staff,
    sso,
    staff_login,
    user,
    wechat_login,
)


def _problem(resp: httpx.Response, status: int, code: str) -> None:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert resp.json()["code"] == code


async def test_reused_wechat_code(client: httpx.AsyncClient, outside: Outside) -> None:
    code = await outside.wechat_code("wx-eve")
    assert (await client.post("/api/v1/auth/wechat/login", json={"code": code})).status_code == 200
    again = await client.post("/api/v1/auth/wechat/login", json={"code": code})
    _problem(again, 400, "WECHAT_CODE_INVALID")


async def test_expired_wechat_code(client: httpx.AsyncClient, outside: Outside) -> None:
    code = await outside.wechat_code("wx-eve")
    await outside.shift_clock("wechat", 301)
    _problem(await client.post("/api/v1/auth/wechat/login", json={"code": code}), 400,
             "WECHAT_CODE_INVALID")  # fmt: skip


async def test_wrong_or_replayed_state(client: httpx.AsyncClient, outside: Outside) -> None:
    start = await client.post("/api/v1/auth/sso/start", json={"purpose": "login"})
    redirect = await outside.sign_in_at_platform(start.json()["authorizeUrl"], user("lisi"))
    forged = await client.post(
        "/api/v1/auth/sso/complete", json={"code": redirect["code"], "state": "forged-state"}
    )
    _problem(forged, 400, "SSO_STATE_INVALID")
    ok = await client.post("/api/v1/auth/sso/complete", json=redirect)
    assert ok.status_code == 200
    _problem(await client.post("/api/v1/auth/sso/complete", json=redirect), 400,
             "SSO_STATE_INVALID")  # fmt: skip


async def test_code_bound_to_another_pkce_verifier(
    client: httpx.AsyncClient, outside: Outside, settings: Settings
) -> None:
    # An attacker injects a code minted for *their* authorization request into our callback.
    start = await client.post("/api/v1/auth/sso/start", json={"purpose": "login"})
    state = start.json()["state"]
    foreign = await outside.post(
        f"{outside.provincial}/_control/oauth/codes",
        {"username": "lisi", "clientId": settings.provincial.oauth_client_id,
         "redirectUri": settings.provincial.oauth_redirect_uri,
         "codeChallenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "scope": "openid"},
    )  # fmt: skip
    resp = await client.post(
        "/api/v1/auth/sso/complete", json={"code": foreign["code"], "state": state}
    )
    _problem(resp, 400, "SSO_REJECTED")


async def test_a_bind_state_cannot_be_completed_by_someone_else(
    client: httpx.AsyncClient, outside: Outside
) -> None:
    victim = await wechat_login(client, outside, "wx-victim")
    attacker = await wechat_login(client, outside, "wx-attacker")
    start = await client.post(
        "/api/v1/auth/sso/start", json={"purpose": "bind"}, headers=bearer(victim["accessToken"])
    )
    redirect = await outside.sign_in_at_platform(start.json()["authorizeUrl"], user("lisi"))
    resp = await client.post(
        "/api/v1/auth/sso/complete", json=redirect, headers=bearer(attacker["accessToken"])
    )
    _problem(resp, 400, "SSO_STATE_INVALID")


async def test_tampered_and_forged_tokens(
    client: httpx.AsyncClient, outside: Outside, auth_keys_dir: Path
) -> None:
    good = (await wechat_login(client, outside, "wx-mallory"))["accessToken"]
    header, payload, signature = good.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["acr"] = 4
    raised = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    tampered = f"{header}.{raised}.{signature}"
    _problem(await client.get("/api/v1/me", headers=bearer(tampered)), 401, "TOKEN_INVALID")

    unsigned = jwt.encode(claims, key=None, algorithm="none")  # type: ignore[arg-type]
    _problem(await client.get("/api/v1/me", headers=bearer(unsigned)), 401, "TOKEN_INVALID")

    # HS/RS confusion: an HMAC token keyed with our *public* key must not pass.
    kid = (auth_keys_dir / "current").read_text().strip()
    from cryptography.hazmat.primitives import serialization

    private = serialization.load_pem_private_key((auth_keys_dir / f"{kid}.pem").read_bytes(), None)
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    import hashlib
    import hmac

    hs_header = json.dumps({"alg": "HS256", "kid": kid}).encode()
    signing_input = base64.urlsafe_b64encode(hs_header).rstrip(b"=").decode() + "." + raised
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    confused = signing_input + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
    _problem(await client.get("/api/v1/me", headers=bearer(confused)), 401, "TOKEN_INVALID")
    _problem(await client.get("/api/v1/me", headers=bearer("not-a-token")), 401, "TOKEN_INVALID")
    _problem(await client.get("/api/v1/me"), 401, "UNAUTHORIZED")


async def test_expired_access_token(
    client: httpx.AsyncClient, outside: Outside, services: Services, settings: Settings
) -> None:
    tokens = await wechat_login(client, outside, "wx-olaf")
    claims = jwt.decode(tokens["accessToken"], options={"verify_signature": False})
    expired = services.identity.signing.issue(
        {k: claims[k] for k in ("sub", "sid", "acr", "amr", "typ")},
        ttl_s=60,
        now=time.time() - 3600,
        issuer=settings.auth.issuer,
        audience=settings.auth.audience,
    )
    _problem(await client.get("/api/v1/me", headers=bearer(expired)), 401, "TOKEN_EXPIRED")


async def test_refresh_token_reuse_revokes_the_family(
    client: httpx.AsyncClient, outside: Outside
) -> None:
    stolen = await wechat_login(client, outside, "wx-pat")
    legit = (
        await client.post("/api/v1/auth/refresh", json={"refreshToken": stolen["refreshToken"]})
    ).json()
    replay = await client.post(
        "/api/v1/auth/refresh", json={"refreshToken": stolen["refreshToken"]}
    )
    _problem(replay, 401, "REFRESH_TOKEN_REUSED")
    # The whole family is dead: the rotated refresh token and the access tokens with it.
    _problem(
        await client.post("/api/v1/auth/refresh", json={"refreshToken": legit["refreshToken"]}),
        401,
        "REFRESH_TOKEN_INVALID",
    )
    _problem(await client.get("/api/v1/me", headers=bearer(legit["accessToken"])), 401,
             "TOKEN_REVOKED")  # fmt: skip


async def test_sms_code_brute_force_is_limited(client: httpx.AsyncClient, outside: Outside) -> None:
    phone = "13600004444"
    assert (await client.post("/api/v1/auth/sms/send", json={"phone": phone})).status_code == 200
    right = await outside.last_sms_code(phone)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    for _ in range(5):
        _problem(await client.post("/api/v1/auth/sms/login", json={"phone": phone, "code": wrong}),
                 400, "SMS_CODE_INVALID")  # fmt: skip
    # Five misses burn the code: even the right one no longer works.
    late = await client.post("/api/v1/auth/sms/login", json={"phone": phone, "code": right})
    _problem(late, 400, "SMS_CODE_INVALID")


async def test_sms_sending_is_limited_per_phone(client: httpx.AsyncClient, sms: RunningApp) -> None:
    phone = "13600005555"
    statuses = [
        (await client.post("/api/v1/auth/sms/send", json={"phone": phone})).status_code
        for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]


async def test_sms_code_is_single_use(client: httpx.AsyncClient, outside: Outside) -> None:
    phone = "13600006666"
    await client.post("/api/v1/auth/sms/send", json={"phone": phone})
    code = await outside.last_sms_code(phone)
    first = await client.post("/api/v1/auth/sms/login", json={"phone": phone, "code": code})
    assert first.status_code == 200
    _problem(await client.post("/api/v1/auth/sms/login", json={"phone": phone, "code": code}),
             400, "SMS_CODE_INVALID")  # fmt: skip


async def test_staff_brute_force_locks_the_account(
    client: httpx.AsyncClient, services: Services
) -> None:
    account = await make_staff(services, "op-brute", "operator")
    for _ in range(4):
        resp = await client.post(
            "/ops/v1/auth/login", json={"username": "op-brute", "password": "guess-guess-guess"}
        )
        _problem(resp, 401, "CREDENTIALS_INVALID")
    fifth = await client.post(
        "/ops/v1/auth/login", json={"username": "op-brute", "password": "guess-guess-guess"}
    )
    _problem(fifth, 423, "ACCOUNT_LOCKED")
    right = await client.post(
        "/ops/v1/auth/login", json={"username": "op-brute", "password": account.password}
    )
    _problem(right, 423, "ACCOUNT_LOCKED")
    unknown = await client.post("/ops/v1/auth/login", json={"username": "nobody", "password": "x"})
    _problem(unknown, 401, "CREDENTIALS_INVALID")


async def test_citizen_token_on_a_staff_endpoint(
    client: httpx.AsyncClient, outside: Outside
) -> None:
    citizen = await wechat_login(client, outside, "wx-quinn")
    _problem(await client.get("/ops/v1/me", headers=bearer(citizen["accessToken"])), 403,
             "STAFF_ONLY")  # fmt: skip


async def test_assurance_too_low(client: httpx.AsyncClient, outside: Outside) -> None:
    low = await sso(client, outside, user("liuyang"))  # level 1: account only
    resp = await client.get("/api/v1/me/real-name", headers=bearer(low.json()["accessToken"]))
    _problem(resp, 403, "ASSURANCE_LEVEL_TOO_LOW")
    assert resp.json()["requiredLevel"] == 2


@pytest.fixture
async def department_app(services: Services) -> tuple[str, str]:
    from api.identity.repository import department_apps
    from core.passwords import hash_password

    async with services.infra.pool.acquire() as conn:
        await department_apps.upsert_department_app(
            conn, "housing-fund-h5", "公积金网厅", hash_password("dept-secret-1"),
            ["openid", "profile"],
        )  # fmt: skip
    return "housing-fund-h5", "dept-secret-1"


async def test_ticket_reused_or_expired(
    client: httpx.AsyncClient,
    outside: Outside,
    department_app: tuple[str, str],
    services: Services,
) -> None:
    citizen = await sso(client, outside, user("lisi"))
    token = citizen.json()["accessToken"]
    client_id, secret = department_app

    async def ticket() -> str:
        resp = await client.post(
            "/api/v1/auth/tickets", json={"clientId": client_id}, headers=bearer(token)
        )
        assert resp.status_code == 200, resp.text
        assert resp.json()["expiresIn"] <= 60
        return str(resp.json()["ticket"])

    def exchange(value: str) -> dict[str, str]:
        return {
            "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
            "subject_token": value,
            "subject_token_type": "urn:handheld:params:oauth:token-type:ticket",
        }

    auth = httpx.BasicAuth(client_id, secret)
    once = await ticket()
    ok = await client.post("/api/v1/oauth/token", data=exchange(once), auth=auth)
    assert ok.status_code == 200, ok.text
    _problem(await client.post("/api/v1/oauth/token", data=exchange(once), auth=auth), 400,
             "TICKET_INVALID")  # fmt: skip

    late = await ticket()
    await services.infra.redis.expire(
        "trust:ticket:" + __import__("hashlib").sha256(late.encode()).hexdigest(), 1
    )
    await asyncio.sleep(1.2)
    _problem(await client.post("/api/v1/oauth/token", data=exchange(late), auth=auth), 400,
             "TICKET_INVALID")  # fmt: skip

    wrong_secret = httpx.BasicAuth(client_id, "guess")
    _problem(await client.post("/api/v1/oauth/token", data=exchange(await ticket()),
                               auth=wrong_secret), 401, "CLIENT_INVALID")  # fmt: skip


async def test_staff_session_after_idle_timeout(
    client: httpx.AsyncClient, services: Services
) -> None:
    account = await make_staff(services, "op-idle", "operator")
    session = await staff_login(client, account)
    assert (await client.get("/ops/v1/me", headers=bearer(session))).status_code == 200
    async with services.infra.pool.acquire() as conn:
        await conn.execute("UPDATE staff_sessions SET last_seen_at = now() - interval '31 minutes'")
    _problem(await client.get("/ops/v1/me", headers=bearer(session)), 401, "SESSION_EXPIRED")
    # The expiry was recorded, not just answered: the session stays ended.
    async with services.infra.pool.acquire() as conn:
        assert await conn.fetchval("SELECT ended_why FROM staff_sessions") == "idle_timeout"


async def test_staff_session_after_absolute_timeout(
    client: httpx.AsyncClient, services: Services
) -> None:
    session = await staff_login(client, await make_staff(services, "op-long", "operator"))
    async with services.infra.pool.acquire() as conn:
        await conn.execute(
            "UPDATE staff_sessions SET created_at = now() - interval '12 hours 1 minute'"
        )
    _problem(await client.get("/ops/v1/me", headers=bearer(session)), 401, "SESSION_EXPIRED")
