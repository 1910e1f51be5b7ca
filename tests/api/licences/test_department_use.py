"""授权用证 by a department app through trust transfer: only under consent, logged, revocable."""

from __future__ import annotations

import base64

import httpx

from api.composition import Services
from api.identity.repository import department_apps
from core import sm2
from core.passwords import hash_password
from tests.fixtures.declarations import Applicant
from tests.fixtures.licences import earn_licence


async def _exchanged_token(applicant: Applicant, client_id: str, secret: str) -> str:
    ticket = await applicant.client.post(
        "/api/v1/auth/tickets", json={"clientId": client_id}, headers=applicant.headers
    )
    assert ticket.status_code == 200, ticket.text
    resp = await applicant.client.post(
        "/api/v1/oauth/token",
        data={
            "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
            "subject_token": ticket.json()["ticket"],
            "subject_token_type": "urn:handheld:params:oauth:token-type:ticket",
        },
        auth=httpx.BasicAuth(client_id, secret),
    )
    assert resp.status_code == 200, resp.text
    return str(resp.json()["access_token"])


async def test_department_app_reads_a_licence_only_with_consent(
    live: httpx.AsyncClient, worker: None, applicant: Applicant, services: Services
) -> None:
    async with services.infra.pool.acquire() as conn:
        await department_apps.upsert_department_app(
            conn, "police-h5", "公安网厅", hash_password("p-secret"), ["openid"]
        )
        await department_apps.upsert_department_app(
            conn, "social-h5", "社保网厅", hash_password("s-secret"), ["openid"]
        )
    entry = await earn_licence(applicant)
    client, headers = applicant.client, applicant.headers
    police = await _exchanged_token(applicant, "police-h5", "p-secret")
    dept = "/api/v1/department/licences"
    assert (await client.get(dept, headers={"Authorization": f"Bearer {police}"})).json() == []

    granted = await client.post(
        "/api/v1/licences/consents",
        json={"licenceId": entry["id"], "clientId": "police-h5", "purpose": "办理户籍业务"},
        headers=headers,
    )
    assert granted.status_code == 200, granted.text
    assert granted.json()["grantee"] == {"kind": "department_app", "id": "police-h5",
                                         "name": "公安网厅"}  # fmt: skip
    read = await client.get(dept, headers={"Authorization": f"Bearer {police}"})
    assert read.status_code == 200, read.text
    [licence] = read.json()
    assert licence["licenceNumber"] == entry["licenceNumber"]
    # The app can check the issuer's seal itself.
    keys = await applicant.outside.session.get(
        f"{applicant.outside.provincial}/gov/licences/v1/issuer-keys",
        headers={"Authorization": "Bearer test-provincial-key"},
    )
    issuer = {k["keyId"]: k["publicKey"] for k in (await keys.json())["keys"]}
    assert sm2.verify(
        sm2.public_key_from_hex(issuer[licence["keyId"]]),
        base64.b64decode(licence["signedData"]), base64.b64decode(licence["signature"]),
    )  # fmt: skip

    # Another app, the citizen's own token, or a forged token: nothing.
    social = await _exchanged_token(applicant, "social-h5", "s-secret")
    assert (await client.get(dept, headers={"Authorization": f"Bearer {social}"})).json() == []
    own = await client.get(dept, headers=headers)
    assert own.status_code == 401 and own.json()["code"] == "DEPARTMENT_TOKEN_INVALID"
    assert (await client.get(dept, headers={"Authorization": "Bearer x.y.z"})).status_code == 401

    uses = (await client.get("/api/v1/licences/uses", headers=headers)).json()
    assert [(u["user"]["kind"], u["user"]["id"], u["purpose"]) for u in uses] == [
        ("department_app", "police-h5", "办理户籍业务")
    ]
    consent_id = granted.json()["id"]
    assert (
        await client.delete(f"/api/v1/licences/consents/{consent_id}", headers=headers)
    ).status_code == 204
    assert (await client.get(dept, headers={"Authorization": f"Bearer {police}"})).json() == []
    consents = (await client.get("/api/v1/licences/consents", headers=headers)).json()
    assert [c["active"] for c in consents] == [False]
