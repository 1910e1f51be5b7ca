"""The cross-party matrix for people acting for people: every route on a declaration, called
by a family agent (委托代办) and by a hall worker's 帮办 token, inside the authorisation (its
item: reached) and outside it — another item of the principal's (404, as if absent: the same
answer as for an id that exists nowhere), a window not open or over (403 MANDATE_EXPIRED), a
revoked authorisation (403 MANDATE_REVOKED). Refused calls change nothing. The principal's fee
notices and orders follow their case's item the same way: listed, read and paid only inside."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx

from api.composition import Services
from sandbox.wechatpay.handle import WeChatPayStandIn
from tests.fixtures.declarations import RENT_WITHDRAWAL, Applicant, first_format, synced
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
from tests.fixtures.waiting import eventually


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


async def _charged(
    client: httpx.AsyncClient, outside: Outside, owner: dict[str, str], item: str
) -> tuple[str, dict[str, Any]]:
    """The owner applies for the item, the platform accepts the case and issues a fee notice:
    the declaration id and its notice as the owner lists it."""
    applicant = Applicant(client, outside, "")
    applicant.headers = owner
    draft = await applicant.create(item)
    await applicant.fill(draft["id"])
    for material in draft["materials"]:
        if material["required"]:
            uploaded = await applicant.upload(draft["id"], material["code"], first_format(material))
            assert uploaded.status_code == 200, uploaded.text
    submitted = await applicant.submit(draft["id"])
    assert submitted.status_code == 200, submitted.text
    case_number = await applicant.case_number(draft["id"])
    await applicant.advance(case_number, "accepted")
    await outside.post(
        f"{outside.provincial}/_control/cases/{case_number}/payment-notice", {"amountFen": 1200}
    )

    async def notice() -> dict[str, Any] | None:
        found = await client.get(
            "/api/v1/payments/notices",
            params={"declarationId": draft["id"], "status": "all"},
            headers=owner,
        )
        assert found.status_code == 200, found.text
        return found.json()["items"][0] if found.json()["items"] else None

    return draft["id"], await eventually(notice)


async def _order(
    client: httpx.AsyncClient, headers: dict[str, str], notice_id: str
) -> httpx.Response:
    return await client.post(
        "/api/v1/payments/orders",
        json={"noticeId": notice_id, "channel": "app"},
        headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
    )


async def test_family_agent_meets_only_the_fee_notices_and_orders_of_the_authorised_item(
    live: httpx.AsyncClient,
    worker: None,
    outside: Outside,
    services: Services,
    wechatpay: WeChatPayStandIn,
) -> None:
    client = live  # a served API: the platform's callbacks bring the cases and their notices
    await synced(services)
    med = await item_code(client, MED_INSURANCE)
    parent = await signed_in(client, outside, PARENT)
    child = await signed_in(client, outside, CHILD)
    parent_id = next(p["id"] for p in await parties(client, parent) if p["role"] == "self")
    _, n_in = await _charged(client, outside, parent, med)
    d_out, n_out = await _charged(client, outside, parent, RENT_WITHDRAWAL)
    # The parent opened an order for the other item's fee (not paid yet).
    parent_order = await _order(client, parent, n_out["id"])
    assert parent_order.status_code == 200, parent_order.text
    o_out = parent_order.json()["id"]

    assert (await grant(client, parent, CHILD, [med])).status_code == 200
    as_parent = acting(child, parent_id)

    # Listed: only the authorised item's notices, whatever the filter.
    for params in ({}, {"status": "all"}, {"status": "unpaid"}, {"declarationId": d_out}):
        listed = await client.get("/api/v1/payments/notices", params=params, headers=as_parent)
        assert listed.status_code == 200, listed.text
        assert n_out["id"] not in [n["id"] for n in listed.json()["items"]], params
    everything = await client.get(
        "/api/v1/payments/notices", params={"status": "all"}, headers=as_parent
    )
    assert [n["id"] for n in everything.json()["items"]] == [n_in["id"]]
    whole = await client.get("/api/v1/payments/notices", params={"status": "all"}, headers=parent)
    assert {n["id"] for n in whole.json()["items"]} == {n_in["id"], n_out["id"]}

    # Paying the other item's notice, reading its order or receipt: as absent (404), the same
    # answer as for ids that exist nowhere.
    for notice_id in (n_out["id"], str(uuid.uuid4())):
        refused = await _order(client, as_parent, notice_id)
        assert (refused.status_code, refused.json()["code"]) == (404, "FEE_NOTICE_NOT_FOUND")
    for order_id in (o_out, str(uuid.uuid4())):
        for path in (
            f"/api/v1/payments/orders/{order_id}",
            f"/api/v1/payments/orders/{order_id}/receipt",
        ):
            resp = await client.get(path, headers=as_parent)
            assert (resp.status_code, resp.json()["code"]) == (404, "PAYMENT_ORDER_NOT_FOUND"), path

    # Inside the authorisation: the notice is paid for the parent, its order read.
    paying = await _order(client, as_parent, n_in["id"])
    assert paying.status_code == 200, paying.text
    got = await client.get(f"/api/v1/payments/orders/{paying.json()['id']}", headers=as_parent)
    assert got.status_code == 200, got.text
    assert got.json()["noticeId"] == n_in["id"]

    # The parent's own view is whole: both orders, the other one untouched.
    theirs = await client.get(f"/api/v1/payments/orders/{o_out}", headers=parent)
    assert theirs.status_code == 200 and theirs.json()["status"] == "pending"
    mine = await client.get(f"/api/v1/payments/orders/{paying.json()['id']}", headers=parent)
    assert mine.status_code == 200
