"""委托代办, the acceptance: a child applies for 城乡居民基本医疗保险参保登记 for a parent under
the parent's authorisation; the parent's inbox shows each step; revocation takes effect at
once. And the rules around it: how the agent is named, the items and the window."""

from __future__ import annotations

import uuid

import asyncpg
import httpx

from api.composition import Services
from tests.fixtures.declarations import RENT_WITHDRAWAL, Applicant, first_format, synced
from tests.fixtures.identity import Outside, bearer, sms_login, user
from tests.fixtures.parties import acting, parties, signed_in
from tests.fixtures.proxies import (
    CHILD,
    MED_INSURANCE,
    PARENT,
    PROXIES,
    grant,
    inbox_events,
    item_code,
    later,
)


async def test_a_child_applies_for_a_parent_who_sees_every_step_and_revokes(
    live: httpx.AsyncClient,
    worker: None,
    outside: Outside,
    services: Services,
    db: asyncpg.Connection,
) -> None:
    client = live
    await synced(services)
    med = await item_code(client, MED_INSURANCE)
    parent = await signed_in(client, outside, PARENT)
    child = await signed_in(client, outside, CHILD)
    parent_id = next(p["id"] for p in await parties(client, parent) if p["role"] == "self")

    granted = await grant(client, parent, CHILD, [med])
    assert granted.status_code == 200, granted.text
    mandate = granted.json()
    assert mandate["agentName"] == "李*" and mandate["status"] == "active"
    assert mandate["items"] == [{"code": med, "name": MED_INSURANCE}]
    received = await inbox_events(client, child)
    assert [m["eventType"] for m in received] == ["proxy.received"]
    assert "陈*" in received[0]["body"] and MED_INSURANCE in received[0]["body"]

    # The child finds the parent among the parties and acts as them.
    listed = next(p for p in await parties(client, child) if p["id"] == parent_id)
    assert (listed["role"], listed["kind"], listed["items"]) == ("family", "natural", [med])
    as_parent = Applicant(client, outside, "")
    as_parent.headers = acting(child, parent_id)
    draft = await as_parent.create(med)
    await as_parent.fill(draft["id"])
    for material in draft["materials"]:
        if material["required"]:
            resp = await as_parent.upload(draft["id"], material["code"], first_format(material))
            assert resp.status_code == 200, resp.text
    submitted = await as_parent.submit(draft["id"])
    assert submitted.status_code == 200, submitted.text
    case = await as_parent.case_number(draft["id"])
    for step in ("accepted", "processing", "completed"):
        await as_parent.advance(case, step)
    done = await as_parent.wait_state(draft["id"], "completed")

    # The parent's: in their list, applied under their name; not in the child's own.
    mine = await client.get("/api/v1/declarations", headers=parent)
    assert [d["id"] for d in mine.json()["items"]] == [draft["id"]]
    own = await client.get("/api/v1/declarations", headers=child)
    assert own.json()["items"] == []
    owner = await db.fetchval(
        "SELECT citizen_id FROM declarations WHERE id = $1", uuid.UUID(draft["id"])
    )
    assert str(owner) == parent_id and done["state"] == "completed"

    # Every step told to the parent, in order: the grant, what the child did, the case's course.
    events = [m["eventType"] for m in await inbox_events(client, parent)]
    assert events[0] == "proxy.granted"
    steps = [
        m["body"] for m in await inbox_events(client, parent) if m["eventType"] == "proxy.acted"
    ]
    assert any("创建申报" in s for s in steps) and any("提交申请" in s for s in steps)
    assert all("李*" in s and MED_INSURANCE in s for s in steps)
    uploads = sum(1 for s in steps if "提交材料" in s)
    assert uploads == sum(1 for m in draft["materials"] if m["required"])
    for expected in ("declaration.submitted", "declaration.accepted", "declaration.completed"):
        assert expected in events, events
    assert events.index("declaration.submitted") < events.index("declaration.completed")

    # Outside the authorisation: another item is refused, and the parent's own declaration of
    # another item is not there for the child.
    other = await client.post(
        "/api/v1/declarations", json={"itemCode": RENT_WITHDRAWAL}, headers=as_parent.headers
    )
    assert other.status_code == 403 and other.json()["code"] == "ITEM_NOT_IN_MANDATE"
    parents_own = await client.post(
        "/api/v1/declarations", json={"itemCode": RENT_WITHDRAWAL}, headers=parent
    )
    assert parents_own.status_code == 200
    hidden = await client.get(
        f"/api/v1/declarations/{parents_own.json()['id']}", headers=as_parent.headers
    )
    assert hidden.status_code == 404
    listed_for_child = await client.get("/api/v1/declarations", headers=as_parent.headers)
    assert [d["id"] for d in listed_for_child.json()["items"]] == [draft["id"]]

    # Revoked by the parent: the child's very next request is refused, in every process.
    revoked = await client.delete(f"{PROXIES}/{mandate['id']}", headers=parent)
    assert revoked.status_code == 204, revoked.text
    refused = await client.get(f"/api/v1/declarations/{draft['id']}", headers=as_parent.headers)
    assert refused.status_code == 403 and refused.json()["code"] == "MANDATE_REVOKED"
    assert parent_id not in [p["id"] for p in await parties(client, child)]
    assert "proxy.revoked" in [m["eventType"] for m in await inbox_events(client, child)]
    assert "proxy.revoked" in [m["eventType"] for m in await inbox_events(client, parent)]

    # What the parent reads of it: who, what, when (the consent log), and its status.
    who = (await client.get(PROXIES, headers=parent)).json()["items"]
    assert [(g["id"], g["status"]) for g in who] == [(mandate["id"], "revoked")]
    log = (await client.get(f"{PROXIES}/{mandate['id']}/log", headers=parent)).json()["items"]
    kinds = [e["event"] for e in reversed(log)]
    assert kinds[0] == "granted" and kinds[-1] == "revoked" and "acted" in kinds
    assert {e["target"] for e in log if e["event"] == "acted"} == {draft["id"]}
    again = await client.delete(f"{PROXIES}/{mandate['id']}", headers=parent)
    assert again.status_code == 404  # once


async def test_the_agent_is_named_by_a_verified_identity(
    client: httpx.AsyncClient, outside: Outside, services: Services
) -> None:
    await synced(services)
    med = await item_code(client, MED_INSURANCE)
    parent = await signed_in(client, outside, PARENT)
    child = user(CHILD)

    async def named(id_number: str, name: str) -> httpx.Response:
        return await client.post(
            PROXIES,
            json={"agentIdNumber": id_number, "agentName": name, "items": [med],
                  "validUntil": later(days=3)},
            headers=parent,
        )  # fmt: skip

    # Another name with the child's number, and a number nobody registered: the same answer.
    wrong_name = await named(child.id_number, "李五")
    unknown = await named("110101199003070019", "李四")
    assert wrong_name.status_code == unknown.status_code == 400
    assert wrong_name.json()["code"] == unknown.json()["code"] == "PROXY_AGENT_UNKNOWN"
    # A person without an account whose real name was verified here cannot be named.
    nobody = await named(user("zhaolei").id_number, "赵磊")
    assert nobody.json()["code"] == "PROXY_AGENT_UNKNOWN"
    itself = await named(user(PARENT).id_number, user(PARENT).name)
    assert itself.status_code == 400 and itself.json()["code"] == "PROXY_AGENT_SELF"

    await signed_in(client, outside, CHILD)
    right = await named(child.id_number, child.name)
    assert right.status_code == 200, right.text
    unknown_item = await grant(client, parent, CHILD, ["NO-SUCH-ITEM"])
    assert unknown_item.status_code == 400 and unknown_item.json()["code"] == "PROXY_ITEM_UNKNOWN"
    too_long = await grant(client, parent, CHILD, [med], validUntil=later(days=400))
    assert too_long.status_code == 400 and too_long.json()["code"] == "PROXY_WINDOW_INVALID"
    past = await grant(client, parent, CHILD, [med], validUntil=later(days=-1))
    assert past.status_code == 400 and past.json()["code"] == "PROXY_WINDOW_INVALID"

    # Naming is a lookup of a person: throttled per citizen (10 an hour by default).
    answers = [await named("110101199003070019", "某人") for _ in range(10)]
    assert answers[-1].status_code == 429 and answers[-1].json()["code"] == "PROXY_LOOKUPS_LIMITED"


async def test_a_window_not_yet_open_or_over_refuses_the_agent(
    client: httpx.AsyncClient, outside: Outside, services: Services, db: asyncpg.Connection
) -> None:
    await synced(services)
    med = await item_code(client, MED_INSURANCE)
    parent = await signed_in(client, outside, PARENT)
    child = await signed_in(client, outside, CHILD)
    parent_id = next(p["id"] for p in await parties(client, parent) if p["role"] == "self")
    scheduled = await grant(
        client, parent, CHILD, [med], validFrom=later(days=2), validUntil=later(days=5)
    )
    assert scheduled.status_code == 200 and scheduled.json()["status"] == "scheduled"
    early = await client.get("/api/v1/declarations", headers=acting(child, parent_id))
    assert early.status_code == 403 and early.json()["code"] == "MANDATE_EXPIRED"

    # A new grant replaces the old one; then its window passes (moved into the past here).
    current = await grant(client, parent, CHILD, [med])
    assert current.status_code == 200
    await db.execute(
        """UPDATE mandates SET valid_from = now() - interval '2 days',
               valid_until = now() - interval '1 day' WHERE id = $1""",
        uuid.UUID(current.json()["id"]),
    )
    late = await client.get("/api/v1/declarations", headers=acting(child, parent_id))
    assert late.status_code == 403 and late.json()["code"] == "MANDATE_EXPIRED"
    statuses = {
        g["id"]: g["status"] for g in (await client.get(PROXIES, headers=parent)).json()["items"]
    }
    assert statuses == {scheduled.json()["id"]: "revoked", current.json()["id"]: "expired"}


async def test_authorising_is_the_persons_own_act(
    client: httpx.AsyncClient, outside: Outside, services: Services
) -> None:
    """An agent acting for the parent cannot authorise, list or revoke in the parent's name."""
    await synced(services)
    med = await item_code(client, MED_INSURANCE)
    parent = await signed_in(client, outside, PARENT)
    child = await signed_in(client, outside, CHILD)
    parent_id = next(p["id"] for p in await parties(client, parent) if p["role"] == "self")
    mandate = (await grant(client, parent, CHILD, [med])).json()
    as_parent = acting(child, parent_id)
    for method, path in (
        ("POST", PROXIES),
        ("GET", PROXIES),
        ("DELETE", f"{PROXIES}/{mandate['id']}"),
        ("GET", f"{PROXIES}/log"),
    ):
        resp = await client.request(
            method, path, headers=as_parent,
            json={"agentIdNumber": user("wangfang").id_number, "agentName": "王芳",
                  "validUntil": later(days=1)} if method == "POST" else None,
        )  # fmt: skip
        assert resp.status_code == 403, (method, path, resp.text)
        assert resp.json()["code"] == "ACTING_AS_NOT_ALLOWED"
    # A session without a verified real name cannot authorise anyone.
    unverified = await sms_login(client, outside, "13700000001")
    resp = await client.post(
        PROXIES,
        json={"agentIdNumber": user(CHILD).id_number, "agentName": user(CHILD).name,
              "validUntil": later(days=1)},
        headers=bearer(unverified["accessToken"]),
    )  # fmt: skip
    assert resp.status_code == 403 and resp.json()["code"] == "ASSURANCE_LEVEL_TOO_LOW"
