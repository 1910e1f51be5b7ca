"""帮办: a hall worker applies for the citizen at the window after the citizen reads out the
code texted to the phone on their record. The worker's token acts for that citizen only, for
the items confirmed, on the routes that act; every step is audited and told to the citizen;
the citizen (or the worker) ends it at once."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import httpx

from api.composition import Services
from tests.fixtures.declarations import RENT_WITHDRAWAL, synced
from tests.fixtures.identity import Outside, bearer, make_staff, staff_login, user
from tests.fixtures.parties import acting, parties, signed_in
from tests.fixtures.proxies import (
    ASSIST,
    MED_INSURANCE,
    PARENT,
    PROXIES,
    inbox_events,
    item_code,
    start_assist,
    texted_code,
)


async def _sms_to(outside: Outside, who: str) -> list[dict[str, Any]]:
    async with outside.session.get(
        f"{outside.sms}/_control/messages", params={"phone": user(who).phone}
    ) as resp:
        return list((await resp.json())["messages"])


async def test_a_hall_worker_applies_after_the_citizen_confirms_by_sms(
    client: httpx.AsyncClient, outside: Outside, services: Services, db: asyncpg.Connection
) -> None:
    await synced(services)
    med = await item_code(client, MED_INSURANCE)
    citizen = await signed_in(client, outside, PARENT)
    citizen_id = next(p["id"] for p in await parties(client, citizen) if p["role"] == "self")
    clerk = bearer(await staff_login(client, await make_staff(services, "clerk", "operator")))

    started = await start_assist(client, clerk, PARENT, [med])
    assert started.status_code == 200, started.text
    request = started.json()
    assert request["citizenName"] == "陈*" and request["phone"] == "188****0005"
    texted = await _sms_to(outside, PARENT)
    assert [m["templateCode"] for m in texted] == ["SMS_ASSIST_CODE"]
    assert MED_INSURANCE in texted[0]["templateParams"]["items"]
    # The code is stored hashed only.
    stored = [
        k async for k in services.infra.redis.scan_iter(match=f"confirm:assist:{request['id']}:*")
    ]
    assert len(stored) == 1
    held = await services.infra.redis.hgetall(stored[0])
    code = await texted_code(outside, PARENT)
    assert code.encode() not in b"".join(held.values())

    confirm = f"{ASSIST}/{request['id']}/confirm"
    wrong = await client.post(
        confirm, json={"code": f"{(int(code) + 1) % 10**6:06d}"}, headers=clerk
    )
    assert wrong.status_code == 400 and wrong.json()["code"] == "ASSIST_CODE_INVALID"
    refused = await db.fetchval(
        "SELECT count(*) FROM audit_log WHERE action = 'assist.code_refused' AND target_id = $1",
        citizen_id,
    )
    assert refused == 1  # the refusal is on record though the request failed

    # Another hall worker cannot confirm (or see) this request.
    other = bearer(await staff_login(client, await make_staff(services, "other", "operator")))
    stranger = await client.post(confirm, json={"code": code}, headers=other)
    assert stranger.status_code == 404 and stranger.json()["code"] == "ASSIST_NOT_FOUND"

    granted = await client.post(confirm, json={"code": code}, headers=clerk)
    assert granted.status_code == 200, granted.text
    body = granted.json()
    assert body["items"] == [{"code": med, "name": MED_INSURANCE}]
    token = bearer(body["accessToken"])
    twice = await client.post(confirm, json={"code": code}, headers=clerk)
    assert twice.status_code == 409 and twice.json()["code"] == "ASSIST_CLOSED"

    # The worker acts as the citizen, for the item confirmed only.
    draft = await client.post("/api/v1/declarations", json={"itemCode": med}, headers=token)
    assert draft.status_code == 200, draft.text
    owner = await db.fetchval(
        "SELECT citizen_id FROM declarations WHERE id = $1", uuid.UUID(draft.json()["id"])
    )
    assert str(owner) == citizen_id
    mine = await client.get("/api/v1/declarations", headers=citizen)
    assert [d["id"] for d in mine.json()["items"]] == [draft.json()["id"]]
    other_item = await client.post(
        "/api/v1/declarations", json={"itemCode": RENT_WITHDRAWAL}, headers=token
    )
    assert other_item.status_code == 403 and other_item.json()["code"] == "ITEM_NOT_IN_MANDATE"
    # Never the citizen's account, authorisations or sessions, and never anyone else.
    for method, path in (("GET", "/api/v1/me"), ("GET", PROXIES), ("POST", "/api/v1/auth/logout")):
        resp = await client.request(method, path, headers=token)
        assert resp.status_code == 403, (method, path, resp.text)
        assert resp.json()["code"] == "ACTING_AS_NOT_ALLOWED"
    someone = await signed_in(client, outside, "wangfang")
    someone_id = next(p["id"] for p in await parties(client, someone) if p["role"] == "self")
    elsewhere = await client.get("/api/v1/declarations", headers=acting(token, someone_id))
    assert elsewhere.status_code == 403 and elsewhere.json()["code"] == "ACTING_AS_NOT_ALLOWED"

    # Audited as the worker's, and told to the citizen.
    audited = await db.fetchrow(
        "SELECT actor_type, actor_id, target_id FROM audit_log WHERE action = 'assist.post'"
    )
    assert audited is not None and audited["actor_type"] == "staff"
    assert audited["target_id"] == citizen_id
    events = await inbox_events(client, citizen)
    assert [m["eventType"] for m in events][:2] == ["assist.confirmed", "proxy.acted"]
    assert "clerk" in events[0]["body"] and "窗口工作人员" in events[1]["body"]

    # The citizen sees the assistance among who acts for them, and ends it: at once.
    who = (await client.get(PROXIES, headers=citizen)).json()["items"]
    assert [(g["agentKind"], g["status"]) for g in who] == [("staff", "active")]
    ended = await client.delete(f"{PROXIES}/{body['mandateId']}", headers=citizen)
    assert ended.status_code == 204
    after = await client.get(f"/api/v1/declarations/{draft.json()['id']}", headers=token)
    assert after.status_code == 403 and after.json()["code"] == "MANDATE_REVOKED"
    listed = (await client.get(ASSIST, headers=clerk)).json()["items"]
    assert [(r["id"], r["status"]) for r in listed] == [(request["id"], "ended")]
    assert (await client.get(ASSIST, headers=other)).json()["items"] == []


async def test_codes_are_rate_limited_and_used_up_by_wrong_tries(
    client: httpx.AsyncClient, outside: Outside, services: Services
) -> None:
    await synced(services)
    med = await item_code(client, MED_INSURANCE)
    await signed_in(client, outside, "wangfang")
    clerk = bearer(await staff_login(client, await make_staff(services, "clerk2", "operator")))
    # Codes to one phone are limited as login codes are (HANDHELD_AUTH__SMS_PER_PHONE).
    per_minute = int(services.infra.settings.auth.sms_per_phone.split("/")[0])
    sent = [await start_assist(client, clerk, "wangfang", [med]) for _ in range(per_minute + 1)]
    assert [r.status_code for r in sent] == [200] * per_minute + [429]
    assert sent[-1].json()["code"] == "SMS_RATE_LIMITED"
    first = sent[per_minute - 1]
    # A person unknown here, or named wrongly: one answer.
    unknown = await client.post(
        ASSIST,
        json={"idNumber": user("wangfang").id_number, "name": "王芬", "items": [med]},
        headers=clerk,
    )
    assert unknown.status_code == 400 and unknown.json()["code"] == "ASSIST_CITIZEN_UNKNOWN"

    code = await texted_code(outside, "wangfang")
    confirm = f"{ASSIST}/{first.json()['id']}/confirm"
    # Five wrong tries use the code up: the right one after them is refused too.
    for _ in range(5):
        wrong = await client.post(
            confirm, json={"code": "000000" if code != "000000" else "111111"}, headers=clerk
        )
        assert wrong.json()["code"] == "ASSIST_CODE_INVALID"
    late = await client.post(confirm, json={"code": code}, headers=clerk)
    assert late.status_code == 400 and late.json()["code"] == "ASSIST_CODE_INVALID"


async def test_the_worker_ends_the_assistance_and_its_token_with_it(
    client: httpx.AsyncClient, outside: Outside, services: Services
) -> None:
    await synced(services)
    med = await item_code(client, MED_INSURANCE)
    citizen = await signed_in(client, outside, PARENT)
    clerk = bearer(await staff_login(client, await make_staff(services, "clerk3", "operator")))
    request = (await start_assist(client, clerk, PARENT, [med])).json()
    granted = await client.post(
        f"{ASSIST}/{request['id']}/confirm",
        json={"code": await texted_code(outside, PARENT)},
        headers=clerk,
    )
    token = bearer(granted.json()["accessToken"])
    assert (await client.get("/api/v1/declarations", headers=token)).status_code == 200
    ended = await client.post(f"{ASSIST}/{request['id']}/end", headers=clerk)
    assert ended.status_code == 204, ended.text
    refused = await client.get("/api/v1/declarations", headers=token)
    assert refused.status_code == 403 and refused.json()["code"] == "MANDATE_REVOKED"
    assert "proxy.revoked" in [m["eventType"] for m in await inbox_events(client, citizen)]
    # A citizen's token is not a hall worker's session.
    assert (await client.get(ASSIST, headers=citizen)).status_code == 403
