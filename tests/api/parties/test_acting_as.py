"""Acting as a company (docs/acting-as.md): the platform's authorisation list decides whom a
person may act for; a request with ``X-Acting-As`` reads and writes the company's resources;
a revocation stops the agent's next request while the company keeps what was drafted."""

from __future__ import annotations

import uuid

import asyncpg
import httpx

from api.composition import Services
from tests.fixtures.declarations import synced
from tests.fixtures.identity import Outside
from tests.fixtures.parties import (
    HENGXIN,
    PARTIES,
    QIHANG,
    acting,
    authorise,
    company_id,
    item_code,
    parties,
    signed_in,
)


async def test_an_agent_acts_for_the_company_until_revoked(
    client: httpx.AsyncClient, outside: Outside, services: Services, db: asyncpg.Connection
) -> None:
    await synced(services)
    zhang = await signed_in(client, outside, "zhangsan")
    company = await company_id(client, zhang, QIHANG)
    mine = next(p for p in await parties(client, zhang) if p["id"] == company)
    assert mine["role"] == "representative" and mine["kind"] == "legal"
    assert mine["uscc"].startswith("91620102") and "*" in mine["uscc"]

    granted = await authorise(client, zhang, company, "lisi")
    assert granted["linked"] is False  # 李四 has no account here yet: the grant is at the platform
    li = await signed_in(client, outside, "lisi")
    assert await company_id(client, li, QIHANG) == company

    as_company = acting(li, company)
    name_registration = await item_code(client, "企业名称自主申报登记")  # companies only
    draft = await client.post(
        "/api/v1/declarations", json={"itemCode": name_registration}, headers=as_company
    )
    assert draft.status_code == 200, draft.text
    draft_id = draft.json()["id"]
    current = await client.get(f"{PARTIES}/current", headers=as_company)
    assert current.json()["party"]["name"] == QIHANG, current.text

    # The company's, not 李四's: the representative acting as the company sees it, 李四 alone
    # does not.
    listed = await client.get("/api/v1/declarations", headers=acting(zhang, company))
    assert [d["id"] for d in listed.json()["items"]] == [draft_id]
    own = await client.get("/api/v1/declarations", headers=li)
    assert own.json()["items"] == []
    owner = await db.fetchval(
        "SELECT citizen_id FROM declarations WHERE id = $1", uuid.UUID(draft_id)
    )
    assert str(owner) == company
    audited = await db.fetchrow(
        "SELECT actor_id, target_id FROM audit_log WHERE action = 'acting.post'"
    )
    assert audited is not None and audited["target_id"] == company
    assert audited["actor_id"] != company

    # A route of the person's own account takes no X-Acting-As.
    me = await client.get("/api/v1/me", headers=as_company)
    assert me.status_code == 403 and me.json()["code"] == "ACTING_AS_NOT_ALLOWED"

    # The other company's representative is nobody to this one.
    wang = await signed_in(client, outside, "wangfang")
    await company_id(client, wang, HENGXIN)
    stranger = await client.get(f"/api/v1/declarations/{draft_id}", headers=acting(wang, company))
    assert stranger.status_code == 403 and stranger.json()["code"] == "ACTING_AS_FORBIDDEN"
    assert stranger.headers["content-type"].startswith("application/problem+json")

    # Revoked: the very next request as the company is refused; the draft stays the company's.
    agents = await client.get(f"{PARTIES}/{company}/agents", headers=zhang)
    mandate = next(a for a in agents.json()["agents"] if a["role"] == "agent")
    revoked = await client.delete(
        f"{PARTIES}/{company}/agents/{mandate['mandateId']}", headers=zhang
    )
    assert revoked.status_code == 200 and revoked.json()["revokedAt"], revoked.text
    refused = await client.get(f"/api/v1/declarations/{draft_id}", headers=as_company)
    assert refused.status_code == 403 and refused.json()["code"] == "MANDATE_REVOKED"
    assert QIHANG not in [p["name"] for p in await parties(client, li)]
    kept = await client.get(f"/api/v1/declarations/{draft_id}", headers=acting(zhang, company))
    assert kept.status_code == 200 and kept.json()["state"] == "draft"


async def test_a_bad_acting_as_header_is_a_client_error(
    client: httpx.AsyncClient, outside: Outside
) -> None:
    li = await signed_in(client, outside, "lisi")
    resp = await client.get("/api/v1/declarations", headers=acting(li, "not-a-party"))
    assert resp.status_code == 400 and resp.json()["code"] == "ACTING_AS_INVALID"
    nobody = await client.get("/api/v1/declarations", headers=acting(li, str(uuid.uuid4())))
    assert nobody.status_code == 403 and nobody.json()["code"] == "ACTING_AS_FORBIDDEN"


async def test_a_revocation_at_the_platforms_portal_stops_the_next_request(
    client: httpx.AsyncClient, live: httpx.AsyncClient, outside: Outside, services: Services
) -> None:
    await synced(services)
    zhang = await signed_in(client, outside, "zhangsan")
    company = await company_id(client, zhang, QIHANG)
    granted = await authorise(client, zhang, company, "lisi")
    li = await signed_in(client, outside, "lisi")
    await company_id(client, li, QIHANG)  # read from the platform: it knows where to tell us
    as_company = acting(li, company)
    assert (await client.get("/api/v1/declarations", headers=as_company)).status_code == 200

    # Revoked at the platform's own portal: the platform tells us (signed) before it answers.
    revoked = await outside.post(
        f"{outside.provincial}/_control/legal/authorisations/{granted['mandateId']}/revoke", {}
    )
    assert revoked["told"] is True
    refused = await client.get("/api/v1/declarations", headers=as_company)
    assert refused.status_code == 403 and refused.json()["code"] == "MANDATE_REVOKED"

    # A forged revocation is refused.
    forged = await live.post(
        "/api/v1/hooks/provincial/legal",
        content=b'{"eventId":"x","type":"authorisation.revoked","authorisationId":"y"}',
        headers={"X-Gov-Timestamp": "1", "X-Gov-Signature": "00"},
    )
    assert forged.status_code == 401
