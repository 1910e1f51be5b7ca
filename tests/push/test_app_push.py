"""App push: a registered device receives progress messages; preferences switch channels off."""

from __future__ import annotations

import uuid

import asyncpg
import httpx

from api.composition import Services
from tests.fixtures.declarations import Applicant
from tests.fixtures.identity import bearer, sms_login
from tests.fixtures.waiting import eventually


async def _pushes(applicant: Applicant, base: str, registration_id: str) -> list[object]:
    async with applicant.outside.session.get(
        f"{base}/_control/pushes", params={"registrationId": registration_id}
    ) as resp:
        return list((await resp.json())["pushes"])


async def test_device_gets_the_message_unless_switched_off(
    client: httpx.AsyncClient, worker: None, applicant: Applicant, services: Services,
    db: asyncpg.Connection,
) -> None:  # fmt: skip
    base = services.infra.settings.apppush.base_url
    tokens = await sms_login(client, applicant.outside, "13500007777")
    headers = bearer(tokens["accessToken"])
    await applicant.outside.post(f"{base}/_control/devices", {"registrationId": "rid0001"})
    registered = await client.post(
        "/api/v1/push/devices", json={"registrationId": "rid0001", "platform": "android"},
        headers=headers,
    )  # fmt: skip
    assert registered.status_code == 204
    citizen = uuid.UUID(tokens["citizen"]["id"])
    async with services.infra.pool.acquire() as conn, conn.transaction():
        await services.push.notify(conn, citizen, "declaration.accepted", {"item": "测试事项", "due": "2026-12-01"},
                     dedupe_key="t:1")  # fmt: skip

    async def delivered() -> bool:
        return bool(await db.fetchval(
            "SELECT status IN ('sent', 'delivered') FROM push_deliveries WHERE channel = 'app'"))  # fmt: skip

    await eventually(delivered)
    assert len(await _pushes(applicant, base, "rid0001")) == 1

    off = await client.put(
        "/api/v1/push/preferences", json={"wechat": True, "app": False, "sms": True},
        headers=headers,
    )  # fmt: skip
    assert off.json() == {"wechat": True, "app": False, "sms": True}
    async with services.infra.pool.acquire() as conn, conn.transaction():
        await services.push.notify(conn, citizen, "declaration.processing", {"item": "测试事项"},
                     dedupe_key="t:2")  # fmt: skip

    async def inboxed() -> bool:
        return bool(await db.fetchval(
            "SELECT count(*) = 0 FROM pgqueuer WHERE entrypoint LIKE 'push.%'"))  # fmt: skip

    await eventually(inboxed)
    assert len(await _pushes(applicant, base, "rid0001")) == 1  # nothing more on the app
    inbox = (await client.get("/api/v1/inbox", headers=headers)).json()
    assert inbox["total"] == 2 and inbox["unread"] == 2  # the inbox always has it


async def test_delivery_receipts_settle_the_log(
    client: httpx.AsyncClient, worker: None, applicant: Applicant, services: Services,
    db: asyncpg.Connection,
) -> None:  # fmt: skip
    from push.tasks import collect_receipts

    good = await sms_login(client, applicant.outside, "13500008888")
    bad = await sms_login(client, applicant.outside, "13500009999")
    await applicant.outside.post(f"{applicant.outside.sms}/_control/sms-fail",
                                 {"phone": "13500009999", "fail": True})  # fmt: skip
    async with services.infra.pool.acquire() as conn, conn.transaction():
        for n, who in enumerate((good, bad)):
            await services.push.notify(conn, uuid.UUID(who["citizen"]["id"]), "declaration.completed",
                         {"item": "测试事项", "result": "已办结"}, dedupe_key=f"r:{n}")  # fmt: skip

    async def both_sent() -> bool:
        return bool(await db.fetchval(
            "SELECT count(*) = 2 FROM push_deliveries WHERE channel = 'sms' AND status <> 'queued'"))  # fmt: skip

    await eventually(both_sent)
    # The worker's receipts job (every minute) may have settled some already: the rest now.
    await collect_receipts(services.infra.pool, services.push)
    outcome = dict(await db.fetch(
        "SELECT status, coalesce(reason, '') FROM push_deliveries WHERE channel = 'sms'"))  # fmt: skip
    assert outcome == {"delivered": "", "failed": "UNDELIVERABLE"}
    assert await collect_receipts(services.infra.pool, services.push) == 0  # settled for good
