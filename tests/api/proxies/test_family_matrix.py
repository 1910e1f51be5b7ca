"""The cross-party matrix for people acting for people: every route on a declaration, called
by a family agent (委托代办) and by a hall worker's 帮办 token, inside the authorisation (its
item: reached) and outside it — another item of the principal's (404, as if absent: the same
answer as for an id that exists nowhere), a window not open or over (403 MANDATE_EXPIRED), a
revoked authorisation (403 MANDATE_REVOKED). Refused calls change nothing."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx

from api.composition import Services
from tests.fixtures.declarations import RENT_WITHDRAWAL, synced
from tests.fixtures.identity import Outside, bearer, make_staff, staff_login
from tests.fixtures.parties import acting, parties, signed_in
from tests.fixtures.proxies import (
    ASSIST,
    CHILD,
    MED_INSURANCE,
    PARENT,
    PROXIES,
    grant,
    item_code,
    later,
    start_assist,
    texted_code,
)


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # ``{id}``: a declaration of the principal's
    body: Any = None
    files: Any = None


PDF = {"file": ("a.pdf", b"%PDF-1.7\n", "application/pdf")}
# Every route that reaches one declaration (materials use the item's codes: ``{m}``).
ROUTES = [
    Route("GET", "/api/v1/declarations/{id}"),
    Route("PATCH", "/api/v1/declarations/{id}", {"formData": {}}),
    Route("PUT", "/api/v1/declarations/{id}/materials/{m}", files=PDF),
    Route("POST", "/api/v1/declarations/{id}/materials/{m}", files=PDF),
    Route(
        "PUT", "/api/v1/declarations/{id}/materials/{m}/reuse", {"materialId": str(uuid.uuid4())}
    ),
    Route("PUT", "/api/v1/declarations/{id}/materials/{m}/licence", {"licenceNumber": "X"}),
    Route("DELETE", "/api/v1/declarations/{id}/materials/{m}"),
    Route("POST", "/api/v1/declarations/{id}/submit"),
    Route("POST", "/api/v1/declarations/{id}/supplement"),
    Route("POST", "/api/v1/declarations/{id}/tolerated-materials"),
    Route("POST", "/api/v1/declarations/{id}/redraft"),
    Route("POST", "/api/v1/declarations/{id}/withdraw", {"reason": ""}),
    Route("GET", "/api/v1/declarations/{id}/reviews"),
]


async def _call(
    client: httpx.AsyncClient, route: Route, target: str, material: str, headers: dict[str, str]
) -> httpx.Response:
    return await client.request(
        route.method,
        route.path.format(id=target, m=material),
        json=route.body if route.files is None else None,
        files=route.files,
        headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
    )


async def _walk(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    target: str,
    material: str,
    *,
    status: int,
    code: str,
    no_oracle: bool = False,
) -> None:
    for route in ROUTES:
        resp = await _call(client, route, target, material, headers)
        assert (resp.status_code, resp.json().get("code")) == (status, code), (
            f"{route.method} {route.path}: {resp.status_code} {resp.text}"
        )
        assert resp.headers["content-type"].startswith("application/problem+json")
        if no_oracle:
            nowhere = await _call(client, route, str(uuid.uuid4()), material, headers)
            assert (nowhere.status_code, nowhere.json().get("code")) == (status, code), (
                f"{route.method} {route.path} tells a declaration outside the mandate from none"
            )


async def test_family_agent_and_hall_worker_reach_only_inside_the_authorisation(
    client: httpx.AsyncClient, outside: Outside, services: Services, db: asyncpg.Connection
) -> None:
    await synced(services)
    med = await item_code(client, MED_INSURANCE)
    parent = await signed_in(client, outside, PARENT)
    child = await signed_in(client, outside, CHILD)
    parent_id = next(p["id"] for p in await parties(client, parent) if p["role"] == "self")
    inside = await client.post("/api/v1/declarations", json={"itemCode": med}, headers=parent)
    outside_item = await client.post(
        "/api/v1/declarations", json={"itemCode": RENT_WITHDRAWAL}, headers=parent
    )
    assert inside.status_code == outside_item.status_code == 200
    d_in, d_out = inside.json()["id"], outside_item.json()["id"]
    m_in = inside.json()["materials"][0]["code"]
    m_out = outside_item.json()["materials"][0]["code"]
    before = {
        d: (await client.get(f"/api/v1/declarations/{d}", headers=parent)).json()
        for d in (d_in, d_out)
    }

    # Inside: the item granted is reached; another item of the parent's is not there.
    first = await grant(client, parent, CHILD, [med])
    assert first.status_code == 200
    as_parent = acting(child, parent_id)
    reached = await client.get(f"/api/v1/declarations/{d_in}", headers=as_parent)
    assert reached.status_code == 200, reached.text
    await _walk(
        client, as_parent, d_out, m_out, status=404, code="DECLARATION_NOT_FOUND", no_oracle=True
    )
    listed = await client.get("/api/v1/declarations", headers=as_parent)
    assert [d["id"] for d in listed.json()["items"]] == [d_in]
    created = await client.post(
        "/api/v1/declarations", json={"itemCode": RENT_WITHDRAWAL}, headers=as_parent
    )
    assert created.status_code == 403 and created.json()["code"] == "ITEM_NOT_IN_MANDATE"

    # A window over (a new grant, its window then moved into the past), and one not yet open.
    over = await grant(client, parent, CHILD, [med])
    await db.execute(
        """UPDATE mandates SET valid_from = now() - interval '2 days',
               valid_until = now() - interval '1 day' WHERE id = $1""",
        uuid.UUID(over.json()["id"]),
    )
    await _walk(client, as_parent, d_in, m_in, status=403, code="MANDATE_EXPIRED")
    await grant(client, parent, CHILD, [med], validFrom=later(days=1), validUntil=later(days=2))
    await _walk(client, as_parent, d_in, m_in, status=403, code="MANDATE_EXPIRED")

    # Revoked: nothing, at once.
    live = await grant(client, parent, CHILD, [med])
    assert (await client.get(f"/api/v1/declarations/{d_in}", headers=as_parent)).status_code == 200
    assert (
        await client.delete(f"{PROXIES}/{live.json()['id']}", headers=parent)
    ).status_code == 204
    await _walk(client, as_parent, d_in, m_in, status=403, code="MANDATE_REVOKED")
    await _walk(client, as_parent, d_out, m_out, status=403, code="MANDATE_REVOKED")

    # A hall worker's token: the same boundaries.
    clerk = bearer(
        await staff_login(client, await make_staff(services, "matrix-clerk", "operator"))
    )
    request = (await start_assist(client, clerk, PARENT, [med])).json()
    token = bearer(
        (
            await client.post(
                f"{ASSIST}/{request['id']}/confirm",
                json={"code": await texted_code(outside, PARENT)},
                headers=clerk,
            )
        ).json()["accessToken"]
    )
    assert (await client.get(f"/api/v1/declarations/{d_in}", headers=token)).status_code == 200
    await _walk(
        client, token, d_out, m_out, status=404, code="DECLARATION_NOT_FOUND", no_oracle=True
    )
    assert (await client.post(f"{ASSIST}/{request['id']}/end", headers=clerk)).status_code == 204
    await _walk(client, token, d_in, m_in, status=403, code="MANDATE_REVOKED")

    after = {
        d: (await client.get(f"/api/v1/declarations/{d}", headers=parent)).json()
        for d in (d_in, d_out)
    }
    assert after == before, "a refused call changed the parent's declarations"
