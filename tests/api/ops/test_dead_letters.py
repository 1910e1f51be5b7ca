"""Dead letters staff can act on: a push delivery whose job gave up is marked failed (never
left queued), shown with what it concerns and no personal data, and a supervisor retries it
(the job runs again) or discards it; both audited, both for supervisors only."""

from __future__ import annotations

import json
import uuid
from typing import Any

import asyncpg
import httpx
from playwright.async_api import Page, expect

from api.composition import Services
from tests.fixtures.identity import Outside, bearer, make_staff, sms_login, staff_login
from tests.fixtures.ops import BrowserLog, sign_in
from tests.fixtures.servers import running_worker
from tests.fixtures.waiting import eventually

PHONE = "13500004444"
DEAD = "/ops/v1/system/jobs/dead-letters"


async def _notify(services: Services, citizen: uuid.UUID, key: str) -> uuid.UUID:
    async with services.infra.pool.acquire() as conn, conn.transaction():
        await services.push.notify(conn, citizen, "declaration.completed",
                     {"item": "测试事项", "result": "已办结"}, dedupe_key=key)  # fmt: skip
        message = await conn.fetchval(
            "SELECT id FROM inbox_messages WHERE citizen_id = $1 ORDER BY created_at DESC LIMIT 1",
            citizen,
        )
    return uuid.UUID(str(message))


async def _sms_delivery(db: asyncpg.Connection, message: uuid.UUID) -> asyncpg.Record | None:
    return await db.fetchrow(
        "SELECT status, reason FROM push_deliveries WHERE message_id = $1 AND channel = 'sms'",
        message,
    )


async def test_dead_push_delivery_is_failed_shown_retried_and_discarded(
    client: httpx.AsyncClient,
    outside: Outside,
    services: Services,
    db: asyncpg.Connection,
    stand_ins: None,
) -> None:
    supervisor = bearer(await staff_login(client, await make_staff(services, "sup1", "supervisor")))
    operator = bearer(await staff_login(client, await make_staff(services, "op1", "operator")))
    citizen = uuid.UUID((await sms_login(client, outside, PHONE))["citizen"]["id"])
    # The SMS gateway is down for longer than the job's attempts (3 in tests).
    await outside.post(f"{outside.sms}/_control/faults", {"mode": "error", "status": 500})
    first = await _notify(services, citizen, "dead:1")
    second = await _notify(services, citizen, "dead:2")

    async with running_worker(services):

        async def both_failed() -> bool:
            rows = [await _sms_delivery(db, m) for m in (first, second)]
            parked = await db.fetchval("SELECT count(*) FROM job_dead_letters")
            return parked == 2 and all(r is not None and r["status"] == "failed" for r in rows)

        await eventually(both_failed, timeout=60)
        # Marked failed with the reason when the job was parked, not left "queued".
        delivery = await _sms_delivery(db, first)
        assert delivery is not None and delivery["reason"].startswith("job_failed")

        listed = await client.get(DEAD, headers=supervisor)
        assert listed.status_code == 200, listed.text
        letters: list[dict[str, Any]] = listed.json()
        by_message = {d["subject"]["id"]: d for d in letters if d["entrypoint"] == "push.deliver"}
        assert set(by_message) == {str(first), str(second)}
        letter = by_message[str(first)]
        assert letter["subject"] == {
            "kind": "message",
            "id": str(first),
            "summary": "经短信发送消息",
        }
        assert letter["attempts"] >= 3
        assert "OutsideSystemHttpError" in letter["lastError"]
        assert PHONE not in listed.text and PHONE[-4:] + '"' not in listed.text

        # Supervisors only.
        assert (await client.get(DEAD, headers=operator)).status_code == 403
        refused = await client.post(f"{DEAD}/{letter['id']}/retry", headers=operator)
        assert refused.status_code == 403
        assert (
            await client.post(f"{DEAD}/{letter['id']}/discard", headers=operator)
        ).status_code == 403

        # The gateway is back: the retried job runs again and the message goes out.
        await outside.session.delete(f"{outside.sms}/_control/faults")
        retried = await client.post(f"{DEAD}/{letter['id']}/retry", headers=supervisor)
        assert retried.status_code == 204, retried.text

        async def sent() -> bool:
            row = await _sms_delivery(db, first)
            # "delivered" once the gateway's receipt is collected (a periodic job that may run
            # right after the send).
            return row is not None and row["status"] in ("sent", "delivered")

        await eventually(sent, timeout=60)

        # The other one is given up for good: gone from the list, its delivery stays failed.
        other = by_message[str(second)]["id"]
        discarded = await client.post(f"{DEAD}/{other}/discard", headers=supervisor)
        assert discarded.status_code == 204, discarded.text
        assert (await client.get(DEAD, headers=supervisor)).json() == []
        assert await db.fetchval("SELECT count(*) FROM pgqueuer WHERE id = $1", other) == 0
        row = await _sms_delivery(db, second)
        assert row is not None and row["status"] == "failed"
        again = await client.post(f"{DEAD}/{other}/discard", headers=supervisor)
        assert again.status_code == 404 and again.json()["code"] == "DEAD_LETTER_NOT_FOUND"

    audit = await db.fetch(
        """SELECT action, actor_type, target_type, target_id, details FROM audit_log
            WHERE action LIKE 'ops.dead_letter_%' ORDER BY id"""
    )
    assert [(a["action"], a["actor_type"], a["target_type"], a["target_id"]) for a in audit] == [
        ("ops.dead_letter_retry", "staff", "job", str(letter["id"])),
        ("ops.dead_letter_discard", "staff", "job", str(other)),
    ]
    details = json.loads(audit[0]["details"])
    assert details["subjectId"] == str(first) and details["role"] == "supervisor"
    assert (await client.get("/ops/v1/system/audit/verify",
                             headers=bearer(await staff_login(
                                 client, await make_staff(services, "aud1", "auditor"))))
            ).json()["ok"]  # fmt: skip


async def _park(db: asyncpg.Connection, message: uuid.UUID, channel: str) -> int:
    """A job parked as the worker parks one (status failed, its attempts spent)."""
    payload = json.dumps({"message_id": str(message), "channel": channel}).encode()
    return int(
        await db.fetchval(
            """INSERT INTO pgqueuer (priority, status, entrypoint, payload, attempts)
               VALUES (0, 'failed', 'push.deliver', $1, 4) RETURNING id""",
            payload,
        )
    )


async def test_console_lists_retries_and_discards_dead_letters(
    page: tuple[Page, BrowserLog],
    console_url: str,
    services: Services,
    db: asyncpg.Connection,
) -> None:
    browser, log = page
    kept, dropped = uuid.uuid4(), uuid.uuid4()
    retry_id = await _park(db, kept, "sms")
    discard_id = await _park(db, dropped, "app")
    await browser.goto(console_url)
    await sign_in(browser, await make_staff(services, "console-sup9", "supervisor"))
    await browser.click('#nav a[data-view="jobs"]')
    await expect(browser.locator("main h1")).to_have_text("失败任务")
    rows = browser.locator("#dead-letter-table tbody tr")
    await expect(rows).to_have_count(2)
    row = browser.locator(f'#dead-letter-table tr[data-job-id="{retry_id}"]')
    await expect(row).to_contain_text("经短信发送消息")
    await expect(row).to_contain_text(f"消息：{kept}")

    await row.locator("button[data-action=retry]").click()
    await expect(browser.locator("#flash")).to_have_text("已重新排队，任务将再次执行。")
    await expect(rows).to_have_count(1)
    assert (
        await db.fetchval("SELECT status::text FROM pgqueuer WHERE id = $1", retry_id) == "queued"
    )

    browser.once("dialog", lambda dialog: dialog.accept())
    other = browser.locator(f'#dead-letter-table tr[data-job-id="{discard_id}"]')
    await expect(other).to_contain_text("经App 推送发送消息")
    await other.locator("button[data-action=discard]").click()
    await expect(browser.locator("#flash")).to_have_text("已丢弃该任务。")
    await expect(browser.locator("#dead-letters .empty")).to_have_text("没有失败任务。")
    assert await db.fetchval("SELECT count(*) FROM pgqueuer WHERE id = $1", discard_id) == 0
    assert not log.problems, log.problems


async def test_console_leaves_the_view_out_for_operators(
    page: tuple[Page, BrowserLog], console_url: str, services: Services
) -> None:
    browser, log = page
    await browser.goto(console_url)
    await sign_in(browser, await make_staff(services, "console-op9", "operator"))
    await expect(browser.locator('#nav a[data-view="notices"]')).to_be_visible()
    await expect(browser.locator('#nav a[data-view="jobs"]')).to_have_count(0)
    assert not log.problems, log.problems
