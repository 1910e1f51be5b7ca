"""The platform stand-in's legal-person register: companies by their code, authorisations only
from the legal representative, agents checked against the ID numbers it knows."""

from __future__ import annotations

from typing import Any

import aiohttp

from sandbox.provincial.users import USERS_BY_NAME
from tests.fixtures.identity import Outside
from tests.fixtures.standins import PROVINCIAL_KEY

AUTH = {"Authorization": f"Bearer {PROVINCIAL_KEY}"}


async def _call(
    session: aiohttp.ClientSession, method: str, url: str, body: Any = None
) -> tuple[int, Any]:
    async with session.request(method, url, json=body, headers=AUTH) as resp:
        return resp.status, await resp.json()


async def test_companies_authorisations_and_refusals(outside: Outside) -> None:
    base, session = outside.provincial, outside.session
    status, listed = await _call(session, "GET", f"{base}/_control/legal/companies")
    company = listed["companies"][0]
    status, found = await _call(session, "GET", f"{base}/gov/legal/v1/companies/{company['uscc']}")
    assert status == 200 and found["licenceNumber"].startswith("YYZZ")
    bad = company["uscc"][:17] + ("0" if company["uscc"][17] != "0" else "1")
    status, refused = await _call(session, "GET", f"{base}/gov/legal/v1/companies/{bad}")
    assert status == 400 and refused["code"] == "USCC_INVALID"

    zhang, li, wang = (USERS_BY_NAME[n] for n in ("zhangsan", "lisi", "wangfang"))
    grant = f"{base}/gov/legal/v1/companies/{company['uscc']}/authorisations"
    body = {"grantorIdNumber": wang.id_number, "agentIdNumber": li.id_number, "agentName": li.name}
    status, refused = await _call(session, "POST", grant, body)
    assert status == 403 and refused["code"] == "NOT_REPRESENTATIVE"
    status, refused = await _call(
        session, "POST", grant, {**body, "grantorIdNumber": zhang.id_number, "agentName": "王五"}
    )
    assert status == 400 and refused["code"] == "AGENT_REJECTED"
    status, made = await _call(
        session, "POST", grant, {**body, "grantorIdNumber": zhang.id_number, "items": ["X"]}
    )
    assert status == 201 and made["authorisation"]["items"] == ["X"]

    query = f"{base}/gov/legal/v1/authorisations/query"
    status, mine = await _call(session, "POST", query, {"idNumber": li.id_number})
    assert [a["role"] for a in mine["authorisations"]] == ["agent"]
    status, rep = await _call(session, "POST", query, {"idNumber": zhang.id_number})
    assert [a["role"] for a in rep["authorisations"]] == ["representative"]

    revoke = f"{base}/gov/legal/v1/authorisations/{made['authorisation']['id']}/revoke"
    status, refused = await _call(session, "POST", revoke, {"grantorIdNumber": wang.id_number})
    assert status == 403
    status, revoked = await _call(session, "POST", revoke, {"grantorIdNumber": zhang.id_number})
    assert status == 200 and revoked["authorisation"]["status"] == "revoked"
