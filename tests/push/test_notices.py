"""Notices: four-eyes approval and roles; fan-out to every recipient exactly once, even with the
worker killed (SIGKILL) again and again."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

import asyncpg
import httpx

from api.composition import Services
from core.settings import Settings
from tests.fixtures.identity import bearer, make_staff, staff_login
from tests.fixtures.push import DRAFT, citizens_granted_on_wechat
from tests.fixtures.settings import settings_env
from tests.fixtures.waiting import eventually


async def test_approval_rules(client: httpx.AsyncClient, services: Services) -> None:
    operator = bearer(await staff_login(client, await make_staff(services, "n-op", "operator")))
    supervisor = bearer(
        await staff_login(client, await make_staff(services, "n-sup", "supervisor"))
    )
    auditor = bearer(await staff_login(client, await make_staff(services, "n-aud", "auditor")))

    drafted = await client.post("/ops/v1/notices", json=DRAFT, headers=operator)
    assert drafted.status_code == 200 and drafted.json()["status"] == "draft"
    notice = drafted.json()["id"]
    own = await client.post(f"/ops/v1/notices/{notice}/approve", headers=operator)
    assert own.status_code == 403  # operators never approve, their own least of all
    by_auditor = await client.post(f"/ops/v1/notices/{notice}/approve", headers=auditor)
    assert by_auditor.status_code == 403 and by_auditor.json()["code"] == "ROLE_FORBIDDEN"
    assert (await client.post("/ops/v1/notices", json=DRAFT, headers=auditor)).status_code == 403

    mine = (await client.post("/ops/v1/notices", json=DRAFT, headers=supervisor)).json()["id"]
    self_approved = await client.post(f"/ops/v1/notices/{mine}/approve", headers=supervisor)
    assert self_approved.status_code == 403
    assert self_approved.json()["code"] == "NOTICE_SELF_APPROVAL"

    approved = await client.post(f"/ops/v1/notices/{notice}/approve", headers=supervisor)
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    again = await client.post(f"/ops/v1/notices/{notice}/approve", headers=supervisor)
    assert again.status_code == 409
    cancelled = await client.post(f"/ops/v1/notices/{mine}/cancel", headers=operator)
    assert cancelled.json()["status"] == "cancelled"
    seen = await client.get(f"/ops/v1/notices/{notice}", headers=auditor)
    assert seen.status_code == 200 and seen.json()["figures"]["targeted"] == 0


RECIPIENTS = 100_000


def _worker(settings: Settings) -> subprocess.Popen[bytes]:
    env = {**os.environ, **settings_env(settings), "HANDHELD_JOBS_HEARTBEAT_TIMEOUT_S": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "api.cli", "worker"], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


async def test_notice_reaches_100k_exactly_once_despite_sigkill(
    client: httpx.AsyncClient,
    services: Services,
    settings: Settings,
    db: asyncpg.Connection,
    stand_ins: None,
) -> None:
    await db.execute(
        "INSERT INTO citizens (id) SELECT gen_random_uuid() FROM generate_series(1, $1)", RECIPIENTS
    )
    operator = bearer(await staff_login(client, await make_staff(services, "k-op", "operator")))
    supervisor = bearer(
        await staff_login(client, await make_staff(services, "k-sup", "supervisor"))
    )
    notice = (await client.post("/ops/v1/notices", json=DRAFT, headers=operator)).json()["id"]
    approved = await client.post(f"/ops/v1/notices/{notice}/approve", headers=supervisor)
    assert approved.json()["figures"]["targeted"] == RECIPIENTS

    async def sent() -> int:
        return int(await db.fetchval(
            "SELECT count(*) FROM inbox_messages WHERE dedupe_key = $1", f"notice:{notice}"))  # fmt: skip

    kills = 0
    worker = _worker(settings)
    try:
        while kills < 3:
            await asyncio.sleep(1.5)
            if await sent() >= RECIPIENTS:
                break
            worker.send_signal(signal.SIGKILL)
            worker.wait()
            kills += 1
            worker = _worker(settings)
        await eventually(lambda: _is_sent(db, notice), timeout=120)
    finally:
        worker.kill()
        worker.wait()
    assert kills >= 1
    assert await sent() == RECIPIENTS
    assert (
        await db.fetchval(
            "SELECT count(DISTINCT citizen_id) FROM inbox_messages WHERE dedupe_key = $1",
            f"notice:{notice}",
        )
        == RECIPIENTS
    )
    figures = (await client.get(f"/ops/v1/notices/{notice}", headers=supervisor)).json()["figures"]
    assert {k: figures[k] for k in ("targeted", "sent", "read")} == {
        "targeted": RECIPIENTS, "sent": RECIPIENTS, "read": 0}  # fmt: skip
    channels = figures["channels"]
    assert channels["inbox"]["sent"] == RECIPIENTS and channels["inbox"]["read"] == 0
    # No one has an openid or a device: nothing went beyond the inbox.
    assert all(channels[c]["sent"] == channels[c]["queued"] == 0 for c in ("wechat", "app"))


async def _is_sent(db: asyncpg.Connection, notice: str) -> bool:
    return bool(
        await db.fetchval("SELECT status = 'sent' FROM notices WHERE id = $1::uuid", notice)
    )


GRANTED = 500


async def test_notice_on_wechat_survives_sigkill_with_few_duplicates(
    client: httpx.AsyncClient,
    services: Services,
    settings: Settings,
    db: asyncpg.Connection,
    stand_ins: None,
) -> None:
    """100,000 recipients, 500 of whom granted the long-term notice template: the worker is
    killed again and again; every recipient gets it once in the inbox, every granted one at
    least once on WeChat, and resends stay within 1%."""
    await db.execute(
        "INSERT INTO citizens (id) SELECT gen_random_uuid() FROM generate_series(1, $1)",
        RECIPIENTS - GRANTED,
    )
    openids = await citizens_granted_on_wechat(
        db, settings.wechat.base_url, settings.wechat.appid, "TPL_NOTICE", "oNotice", GRANTED
    )
    async with httpx.AsyncClient(base_url=settings.wechat.base_url) as wechat:
        operator = bearer(await staff_login(client, await make_staff(services, "w-op", "operator")))
        supervisor = bearer(
            await staff_login(client, await make_staff(services, "w-sup", "supervisor"))
        )
        notice = (await client.post("/ops/v1/notices", json={**DRAFT, "channels": ["inbox", "wechat"]},
                                    headers=operator)).json()["id"]  # fmt: skip
        await client.post(f"/ops/v1/notices/{notice}/approve", headers=supervisor)

        async def settled() -> bool:
            return bool(await db.fetchval(
                """SELECT (SELECT status = 'sent' FROM notices WHERE id = $1::uuid)
                      AND NOT EXISTS (SELECT 1 FROM push_deliveries WHERE status = 'queued')""",
                notice))  # fmt: skip

        kills = 0
        worker = _worker(settings)
        try:
            while kills < 4 and not await settled():
                await asyncio.sleep(1.2)
                worker.send_signal(signal.SIGKILL)
                worker.wait()
                kills += 1
                worker = _worker(settings)
            await eventually(settled, timeout=150)
        finally:
            worker.kill()
            worker.wait()
        received = {}
        for openid in openids:
            sent = (await wechat.get("/_control/sent", params={"openid": openid})).json()
            received[openid] = len(sent["messages"])
    assert kills >= 1
    assert (
        await db.fetchval(
            "SELECT count(DISTINCT citizen_id) FROM inbox_messages WHERE dedupe_key = $1",
            f"notice:{notice}",
        )
        == RECIPIENTS
    )
    assert all(count >= 1 for count in received.values())
    figures = (await client.get(f"/ops/v1/notices/{notice}", headers=supervisor)).json()["figures"]
    assert (
        figures["channels"]["wechat"]["sent"] == GRANTED  # delivered ones counted in sent
    )
    duplicates = sum(count - 1 for count in received.values())
    print(f"notice on WeChat: {kills} kills, {duplicates} duplicate sends of {GRANTED}")
    assert duplicates <= GRANTED // 100, f"{duplicates} duplicate sends"


async def test_region_audience(
    client: httpx.AsyncClient, services: Services, db: asyncpg.Connection
) -> None:
    await db.execute(
        """INSERT INTO citizens (id, region_code)
           SELECT gen_random_uuid(), r FROM unnest(ARRAY['620102', '620104', '620302']) AS r"""
    )
    operator = bearer(await staff_login(client, await make_staff(services, "r-op", "operator")))
    supervisor = bearer(
        await staff_login(client, await make_staff(services, "r-sup", "supervisor"))
    )
    city = {**DRAFT, "audience": {"kind": "region", "regionCode": "620100"}}
    notice = (await client.post("/ops/v1/notices", json=city, headers=operator)).json()["id"]
    approved = await client.post(f"/ops/v1/notices/{notice}/approve", headers=supervisor)
    assert approved.json()["figures"]["targeted"] == 2  # the two districts of 620100
    bad = {**DRAFT, "audience": {"kind": "region", "regionCode": "62"}}
    assert (await client.post("/ops/v1/notices", json=bad, headers=operator)).status_code == 422


async def test_tag_audience(
    client: httpx.AsyncClient, services: Services, db: asyncpg.Connection
) -> None:
    ids = [str(r["id"]) for r in await db.fetch(
        "INSERT INTO citizens (id) SELECT gen_random_uuid() FROM generate_series(1, 3) RETURNING id")]  # fmt: skip
    operator = bearer(await staff_login(client, await make_staff(services, "t-op", "operator")))
    supervisor = bearer(
        await staff_login(client, await make_staff(services, "t-sup", "supervisor"))
    )
    tagged = await client.post("/ops/v1/notices/citizen-tags",
                               json={"tag": "高龄老人", "citizenIds": ids[:2]}, headers=operator)  # fmt: skip
    assert tagged.status_code == 200 and tagged.json() == {"tag": "高龄老人", "tagged": 2}
    elderly = {**DRAFT, "audience": {"kind": "tag", "tag": "高龄老人"}}
    notice = (await client.post("/ops/v1/notices", json=elderly, headers=operator)).json()["id"]
    approved = await client.post(f"/ops/v1/notices/{notice}/approve", headers=supervisor)
    assert approved.json()["figures"]["targeted"] == 2
