"""Staff sessions, roles and the audit chain; trust transfer to department apps."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import jwt

from api.composition import Services
from api.identity.repository import department_apps
from core.passwords import hash_password
from core.settings import Settings
from tests.fixtures.identity import Outside, bearer, make_staff, sso, staff_login, user
from tests.fixtures.settings import database_env


async def test_staff_login_roles_and_audit(client: httpx.AsyncClient, services: Services) -> None:
    operator = await staff_login(client, await make_staff(services, "op-ann", "operator"))
    auditor = await staff_login(client, await make_staff(services, "au-ben", "auditor"))

    me = await client.get("/ops/v1/me", headers=bearer(operator))
    assert me.status_code == 200 and me.json()["role"] == "operator"
    refused = await client.get("/ops/v1/system/audit/verify", headers=bearer(operator))
    assert refused.status_code == 403 and refused.json()["code"] == "ROLE_FORBIDDEN"
    report = await client.get("/ops/v1/system/audit/verify", headers=bearer(auditor))
    assert report.status_code == 200 and report.json()["ok"] is True

    async with services.infra.pool.acquire() as conn:
        actions = [
            r["action"] for r in await conn.fetch("SELECT action FROM audit_log ORDER BY id")
        ]
    assert actions.count("staff.login") == 2
    assert "staff.get" in actions  # reads are audited too

    out = await client.post("/ops/v1/auth/logout", headers=bearer(operator))
    assert out.status_code == 204
    assert (await client.get("/ops/v1/me", headers=bearer(operator))).status_code == 401


async def test_totp_code_cannot_be_replayed(client: httpx.AsyncClient, services: Services) -> None:
    account = await make_staff(services, "op-cat", "operator")
    credentials = {"username": account.username, "password": account.password}
    code = account.totp.now()  # the very code used, even if a new 30 s step begins meanwhile
    first = await client.post("/ops/v1/auth/login", json=credentials)
    used = await client.post(
        "/ops/v1/auth/totp", json={"mfaToken": first.json()["mfaToken"], "code": code}
    )
    assert used.status_code == 200
    again = await client.post("/ops/v1/auth/login", json=credentials)
    replay = await client.post(
        "/ops/v1/auth/totp", json={"mfaToken": again.json()["mfaToken"], "code": code}
    )
    assert replay.status_code == 401 and replay.json()["code"] == "MFA_INVALID"


async def test_audit_verify_reports_an_edited_row(
    client: httpx.AsyncClient, services: Services, settings: Settings
) -> None:
    for name in ("op-dan", "op-eva", "op-fay"):
        await staff_login(client, await make_staff(services, name, "operator"))
    env = {**os.environ, **database_env(settings)}
    cmd = [sys.executable, "-m", "api.cli", "audit", "verify"]
    intact = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    assert intact.returncode == 0 and "intact" in intact.stdout

    async with services.infra.pool.acquire() as conn:
        victim = await conn.fetchval("SELECT id FROM audit_log ORDER BY id OFFSET 2 LIMIT 1")
        # Whoever gets past the append-only trigger (a superuser) still cannot hide the edit.
        await conn.execute("ALTER TABLE audit_log DISABLE TRIGGER USER")
        await conn.execute("UPDATE audit_log SET actor_id = 'someone-else' WHERE id = $1", victim)
        await conn.execute("ALTER TABLE audit_log ENABLE TRIGGER USER")
    broken = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    assert broken.returncode == 1
    assert f"BROKEN at row {victim}" in broken.stdout


async def test_department_app_gets_only_its_scopes(
    client: httpx.AsyncClient, outside: Outside, services: Services
) -> None:
    async with services.infra.pool.acquire() as conn:
        await department_apps.upsert_department_app(
            conn, "social-h5", "社保网厅", hash_password("s-secret"), ["openid", "profile"]
        )
        await department_apps.upsert_department_app(
            conn, "police-h5", "公安网厅", hash_password("p-secret"), ["openid", "idcard"]
        )
    lisi = user("lisi")
    token = (await sso(client, outside, lisi)).json()["accessToken"]
    jwks = jwt.PyJWKSet.from_dict((await client.get("/.well-known/jwks.json")).json())

    async def exchange(client_id: str, secret: str) -> dict[str, object]:
        ticket = await client.post(
            "/api/v1/auth/tickets", json={"clientId": client_id}, headers=bearer(token)
        )
        resp = await client.post(
            "/api/v1/oauth/token",
            data={
                "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
                "subject_token": ticket.json()["ticket"],
                "subject_token_type": "urn:handheld:params:oauth:token-type:ticket",
            },
            auth=httpx.BasicAuth(client_id, secret),
        )
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert body["issued_token_type"] == "urn:ietf:params:oauth:token-type:jwt"
        header = jwt.get_unverified_header(body["access_token"])
        return dict(
            jwt.decode(
                body["access_token"], key=jwks[header["kid"]], algorithms=["ES256"],
                audience=client_id,
            )
        )  # fmt: skip

    social = await exchange("social-h5", "s-secret")
    police = await exchange("police-h5", "p-secret")
    assert social["name"] == lisi.name and "id_number" not in social
    assert police["id_number"] == lisi.id_number and "name" not in police
    assert social["sub"] != police["sub"]  # pairwise: the apps cannot correlate the citizen
    async with services.infra.pool.acquire() as conn:
        audited = await conn.fetch(
            "SELECT actor_id FROM audit_log WHERE action = 'trust.ticket_exchanged' ORDER BY id"
        )
    assert [r["actor_id"] for r in audited] == ["social-h5", "police-h5"]


async def test_unknown_department_app(client: httpx.AsyncClient, outside: Outside) -> None:
    token = (await sso(client, outside, user("lisi"))).json()["accessToken"]
    resp = await client.post(
        "/api/v1/auth/tickets", json={"clientId": "nope"}, headers=bearer(token)
    )
    assert resp.status_code == 400 and resp.json()["code"] == "CLIENT_UNKNOWN"
