"""The issue's first acceptance line, end to end: a legal representative signs in and
authorises an agent; the agent applies for 新办纳税人涉税事项套餐 as the company with the
company's 营业执照 as a material, the company pays the fee, the case completes, the company
rates it; the representative sees all of it; revoking the agent stops the agent's next
request."""

from __future__ import annotations

import uuid
from typing import Any

import aiohttp
import asyncpg
import httpx

from api.composition import Services
from sandbox.wechatpay.handle import WeChatPayStandIn
from tests.fixtures.declarations import (
    RENT_WITHDRAWAL,
    Applicant,
    first_format,
    synced,
)
from tests.fixtures.identity import Outside, bearer, sso, user, wechat_login
from tests.fixtures.parties import (
    PARTIES,
    QIHANG,
    acting,
    authorise,
    company_id,
    item_code,
    signed_in,
)
from tests.fixtures.payments import WechatPayDesk
from tests.fixtures.waiting import eventually

TAX_PACKAGE = "新办纳税人涉税事项套餐"


async def _get(client: httpx.AsyncClient, path: str, headers: dict[str, str]) -> Any:
    resp = await client.get(path, headers=headers)
    assert resp.status_code == 200, f"{path}: {resp.text}"
    return resp.json()


async def test_an_agent_applies_pays_and_rates_for_the_company(
    client: httpx.AsyncClient,
    live: httpx.AsyncClient,
    worker: None,
    outside: Outside,
    services: Services,
    wechatpay: WeChatPayStandIn,
    db: asyncpg.Connection,
) -> None:
    await synced(services)
    tax = await item_code(client, TAX_PACKAGE)

    # The legal representative signs in; the platform lists the company they represent, and
    # the company's 营业执照 comes into the company's wallet.
    zhang = await signed_in(client, outside, "zhangsan")
    company = await company_id(client, zhang, QIHANG)
    as_rep = acting(zhang, company)

    async def business_licence() -> dict[str, Any] | None:
        wallet = await _get(client, "/api/v1/licences", as_rep)
        found = [w for w in wallet if w["typeCode"] == "YYZZ" and w["status"] == "valid"]
        return found[0] if found else None

    licence = await eventually(business_licence)
    mine = await _get(client, "/api/v1/licences", zhang)
    assert all(w["typeCode"] != "YYZZ" for w in mine)  # the company's, not 张三's

    # The representative authorises 李四 for the tax package only.
    await authorise(client, zhang, company, "lisi", items=[tax])
    signed = await wechat_login(client, outside, "wx-lisi")
    bound = await sso(client, outside, user("lisi"), purpose="bind", token=signed["accessToken"])
    assert bound.status_code == 200, bound.text
    li = bearer(bound.json()["accessToken"])
    agent_id = bound.json()["citizen"]["id"]
    assert await company_id(client, li, QIHANG) == company
    as_agent = acting(li, company)

    # Items refuse the wrong applicant type, and the mandate's scope holds.
    personal = await client.post("/api/v1/declarations", json={"itemCode": tax}, headers=li)
    assert personal.status_code == 403 and personal.json()["code"] == "APPLICANT_TYPE_REFUSED"
    assert "法人" in personal.json()["title"]
    outside_scope = await client.post(
        "/api/v1/declarations", json={"itemCode": RENT_WITHDRAWAL}, headers=as_agent
    )
    assert outside_scope.status_code == 403
    assert outside_scope.json()["code"] == "ITEM_NOT_IN_MANDATE"

    # 李四's authorisation covers the tax package only: the company's wallet (and library and
    # inbox) is not his to see; the draft offers the 营业执照 its material accepts.
    for whole in ("/api/v1/licences", "/api/v1/materials", "/api/v1/inbox"):
        refused = await client.get(whole, headers=as_agent)
        assert (refused.status_code, refused.json()["code"]) == (403, "MANDATE_ITEMS_ONLY")

    # 李四 applies as the company, the company's 营业执照 as a material.
    agent = Applicant(client, outside, "")
    agent.headers = as_agent
    draft = await agent.create(tax)
    offered = [m for m in draft["materials"] if "YYZZ" in m["licenceTypes"]]
    assert offered and all(m["licenceSuggestions"] == [licence["licenceNumber"]] for m in offered)
    async with outside.session.get(f"{outside.provincial}/_control/legal/companies") as resp:
        uscc = next(c for c in (await resp.json())["companies"] if c["name"] == QIHANG)["uscc"]
    # The form asks for the company's code (统一社会信用代码); the rest is filled as usual.
    coded = await client.patch(
        f"/api/v1/declarations/{draft['id']}",
        json={"formData": {"businessLicenceNumber": uscc}},
        headers=as_agent,
    )
    assert coded.status_code == 200, coded.text
    await agent.fill(draft["id"])
    for material in draft["materials"]:
        if material["licenceSuggestions"]:
            used = await client.put(
                f"/api/v1/declarations/{draft['id']}/materials/{material['code']}/licence",
                json={"licenceNumber": material["licenceSuggestions"][0]},
                headers=as_agent,
            )
            assert used.status_code == 200, used.text
        elif material["required"]:
            uploaded = await agent.upload(draft["id"], material["code"], first_format(material))
            assert uploaded.status_code == 200, uploaded.text
    submitted = await agent.submit(draft["id"], key="company-submit-0001")
    assert submitted.status_code == 200, submitted.text
    case_number = await agent.case_number(draft["id"])
    async with outside.session.get(
        f"{outside.provincial}/gov/cases/v1/cases/{case_number}",
        headers={"Authorization": "Bearer test-provincial-key"},
    ) as resp:
        at_platform = await resp.json()
    assert at_platform["applicant"]["type"] == "legal"
    assert at_platform["applicant"]["name"] == QIHANG
    assert at_platform["applicant"]["agentName"] == "李四"

    # The platform accepts and charges a fee; the company pays it (李四 at the phone).
    await agent.advance(case_number, "accepted")
    await outside.post(
        f"{outside.provincial}/_control/cases/{case_number}/payment-notice", {"amountFen": 5000}
    )

    async def notice() -> dict[str, Any] | None:
        found = await _get(
            client,
            f"/api/v1/payments/notices?declarationId={draft['id']}&status=all",
            as_agent,
        )
        return found["items"][0] if found["items"] else None

    fee = await eventually(notice)
    order = await client.post(
        "/api/v1/payments/orders",
        json={"noticeId": fee["id"], "channel": "jsapi"},
        headers={**as_agent, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert order.status_code == 200, order.text
    async with aiohttp.ClientSession() as session:
        await WechatPayDesk(session, wechatpay.url).pay(order.json()["outTradeNo"])

    async def paid() -> dict[str, Any] | None:
        state = await _get(client, f"/api/v1/payments/orders/{order.json()['id']}", as_agent)
        return state if state["status"] == "paid" else None

    await eventually(paid)

    # The case completes; the company rates it.
    await agent.advance(case_number, "processing")
    await agent.advance(case_number, "completed")
    done = await agent.wait_state(draft["id"], "completed")
    rated = await client.post(
        f"/api/v1/declarations/{draft['id']}/reviews",
        json={"level": 5, "text": "办得快"},
        headers=as_agent,
    )
    assert rated.status_code == 200, rated.text

    # The representative sees all of it: the declaration with who acted on its timeline, the
    # paid notice, the rating, and the messages in the company's inbox and their own.
    seen = await _get(client, f"/api/v1/declarations/{draft['id']}", as_rep)
    assert seen["state"] == "completed"
    steps: dict[str, dict[str, Any]] = {}
    for entry in seen["timeline"]:
        steps.setdefault(entry["state"], entry)  # the first entry of each state
    assert steps["draft"]["actedBy"] == agent_id and steps["submitted"]["actedBy"] == agent_id
    # The platform's steps are nobody's (the member is sent only when someone acted).
    assert steps["completed"]["actor"] == "platform" and "actedBy" not in steps["completed"]
    assert done["timeline"][0]["actedBy"] == agent_id
    notices = await _get(client, "/api/v1/payments/notices?status=all", as_rep)
    assert [n["status"] for n in notices["items"]] == ["paid"]
    ratings = await _get(client, f"/api/v1/declarations/{draft['id']}/reviews", as_rep)
    assert ratings["reviews"] and ratings["reviews"][0]["level"] == 5
    company_inbox = await _get(client, "/api/v1/inbox?pageSize=50", as_rep)
    kinds = {m["eventType"] for m in company_inbox["items"]}
    assert {"declaration.submitted", "payment.paid"} <= kinds, kinds
    own_inbox = await _get(client, "/api/v1/inbox?pageSize=50", zhang)
    assert "payment.paid" in {m["eventType"] for m in own_inbox["items"]}
    # Nothing of it is 李四's own: his declarations list is empty.
    assert (await _get(client, "/api/v1/declarations", li))["items"] == []
    assert (
        await db.fetchval(
            "SELECT count(*) FROM audit_log WHERE action LIKE 'acting.%' AND target_id = $1",
            company,
        )
        >= 4
    )

    # Revoked: 李四's next request as the company is refused.
    agents = await _get(client, f"{PARTIES}/{company}/agents", zhang)
    mandate = next(a for a in agents["agents"] if a["role"] == "agent")
    revoked = await client.delete(
        f"{PARTIES}/{company}/agents/{mandate['mandateId']}", headers=zhang
    )
    assert revoked.status_code == 200, revoked.text
    refused = await client.get(f"/api/v1/declarations/{draft['id']}", headers=as_agent)
    assert refused.status_code == 403 and refused.json()["code"] == "MANDATE_REVOKED"
