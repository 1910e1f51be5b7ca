"""SMS beyond the gateway's per-phone limit waits for the window (the job is deferred without
counting an attempt) instead of burning its attempts into a dead letter."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import httpx
import msgspec
import pytest

from api.composition import Services, open_services
from core.settings import Settings
from tests.fixtures.identity import Outside, sms_login
from tests.fixtures.servers import running_worker
from tests.fixtures.waiting import eventually

PHONE = "13500006666"
NOTIFICATIONS = 6  # with the sign-in code: 7 messages, the gateway takes 5 a window


@pytest.fixture
async def short_window(settings: Settings) -> AsyncIterator[Services]:
    """Our side waits 0.3 s for the gateway's window (its own clock is moved by the test)."""
    sms = msgspec.structs.replace(settings.sms, flow_control_window_s=0.3)
    async with open_services(msgspec.structs.replace(settings, sms=sms)) as services:
        yield services


async def test_sms_over_the_phone_limit_waits_for_the_window(
    client: httpx.AsyncClient,
    outside: Outside,
    short_window: Services,
    db: asyncpg.Connection,
    stand_ins: None,
) -> None:
    services = short_window
    citizen = uuid.UUID((await sms_login(client, outside, PHONE))["citizen"]["id"])
    async with services.infra.pool.acquire() as conn, conn.transaction():
        for n in range(NOTIFICATIONS):
            await services.push.notify(conn, citizen, "declaration.completed",
                         {"item": "测试事项", "result": "已办结"}, dedupe_key=f"flow:{n}")  # fmt: skip
    async with running_worker(services) as worker:

        async def explain() -> object:
            return {
                "worker": worker.exception() if worker.done() else "running",
                "jobs": [dict(r) for r in await db.fetch(
                    """SELECT id, status, attempts, execute_after - now() AS due_in,
                              queue_manager_id, now() - heartbeat AS beat_ago
                         FROM pgqueuer WHERE entrypoint = 'push.deliver'""")],
                "log": [dict(r) for r in await db.fetch(
                    """SELECT job_id, status, created, left(traceback::text, 300) AS why
                         FROM pgqueuer_log WHERE entrypoint = 'push.deliver'
                        ORDER BY id DESC LIMIT 6""")],
                "sms": dict(await db.fetch(
                    "SELECT status, count(*) FROM push_deliveries WHERE channel = 'sms' GROUP BY 1")),
            }  # fmt: skip

        async def waits_often() -> bool:
            # Deferred many more times than max_attempts (3) allows failures.
            deferrals = await db.fetchval(
                """SELECT count(*) FROM pgqueuer_log
                    WHERE entrypoint = 'push.deliver' AND status = 'queued'
                      AND traceback IS NOT NULL""")  # fmt: skip
            return bool(deferrals >= 12)

        await eventually(waits_often, timeout=60, explain=explain)
        # Sent, or delivered once the receipts job (every minute) has asked the gateway.
        statuses = dict(await db.fetch(
            """SELECT CASE status WHEN 'delivered' THEN 'sent' ELSE status END, count(*)
                 FROM push_deliveries WHERE channel = 'sms' GROUP BY 1"""))  # fmt: skip
        assert statuses == {"sent": 4, "queued": 2}
        waiting = await db.fetch(
            "SELECT attempts, status FROM pgqueuer WHERE entrypoint = 'push.deliver'")  # fmt: skip
        assert len(waiting) == 2
        assert all(row["attempts"] <= 0 for row in waiting)  # waiting is not failing
        assert await db.fetchval("SELECT count(*) FROM job_dead_letters") == 0

        await outside.shift_clock("sms", 61)  # the gateway's window has passed

        async def all_sent() -> bool:
            return bool(await db.fetchval(
                """SELECT count(*) = $1 FROM push_deliveries
                    WHERE channel = 'sms' AND status IN ('sent', 'delivered')""", NOTIFICATIONS))  # fmt: skip

        await eventually(all_sent, timeout=60, explain=explain)
        assert await db.fetchval("SELECT count(*) FROM job_dead_letters") == 0
        async with outside.session.get(
            f"{outside.sms}/_control/messages", params={"phone": PHONE}
        ) as resp:
            assert len((await resp.json())["messages"]) == NOTIFICATIONS + 1
