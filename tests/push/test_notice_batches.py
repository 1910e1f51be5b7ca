"""A notice's sends go out a batch at a time, many in flight: a batch that stops half-way
(WeChat throttles it, the aggregator is down) is retried, and its retry sends only what is still
queued: no citizen gets the notice twice, none is left out, the inbox holds it once."""

from __future__ import annotations

import collections
import logging
from typing import Any

import asyncpg
import httpx
import msgspec
import pytest

from api.composition import Services
from core.settings import Settings
from tests.fixtures.identity import bearer, make_staff, staff_login
from tests.fixtures.push import DRAFT, citizens_granted_on_wechat
from tests.fixtures.waiting import eventually

GRANTED = 24


async def _citizens_on_wechat(db: asyncpg.Connection, settings: Settings, count: int) -> list[str]:
    wechat = settings.wechat
    return await citizens_granted_on_wechat(
        db, wechat.base_url, wechat.appid, wechat.template_notice, "oBatch", count
    )


async def _send_notice(client: httpx.AsyncClient, services: Services, draft: dict[str, Any]) -> str:
    operator = bearer(await staff_login(client, await make_staff(services, "b-op", "operator")))
    supervisor = bearer(
        await staff_login(client, await make_staff(services, "b-sup", "supervisor"))
    )
    notice = (await client.post("/ops/v1/notices", json=draft, headers=operator)).json()["id"]
    approved = await client.post(f"/ops/v1/notices/{notice}/approve", headers=supervisor)
    assert approved.status_code == 200, approved.text
    return str(notice)


async def _settled(db: asyncpg.Connection, notice: str) -> bool:
    return bool(
        await db.fetchval(
            """SELECT (SELECT status = 'sent' FROM notices WHERE id = $1::uuid)
                  AND NOT EXISTS (SELECT 1 FROM push_deliveries WHERE status = 'queued')""",
            notice,
        )
    )


async def test_throttled_wechat_batch_is_retried_without_sending_twice(
    client: httpx.AsyncClient,
    services: Services,
    settings: Settings,
    db: asyncpg.Connection,
    worker: None,
) -> None:
    """WeChat takes 5 sends a second and answers 45011 beyond: the batch (24 sends, up to 32
    in flight) stops, records what went out, and its retries send the rest, each once."""
    openids = await _citizens_on_wechat(db, settings, GRANTED)
    async with httpx.AsyncClient(base_url=settings.wechat.base_url) as wechat:
        limited = await wechat.post("/_control/subscribe-limits", json={"perSecond": 5})
        assert limited.status_code == 200
        notice = await _send_notice(client, services, {**DRAFT, "channels": ["inbox", "wechat"]})
        await eventually(lambda: _settled(db, notice), timeout=120)
        sent = (await wechat.get("/_control/sent")).json()["messages"]
    received = collections.Counter(m["touser"] for m in sent)
    assert received == dict.fromkeys(openids, 1)  # everyone once, no one twice
    rows = await db.fetch(
        """SELECT d.status, d.provider_id, d.attempts FROM push_deliveries d
             JOIN inbox_messages m ON m.id = d.message_id
            WHERE m.dedupe_key = $1 AND d.channel = 'wechat'""",
        f"notice:{notice}",
    )
    assert len(rows) == GRANTED
    assert {r["status"] for r in rows} == {"sent"}
    # Each delivery's msgid is the one WeChat gave it: recorded once, never overwritten.
    assert sorted(r["provider_id"] for r in rows) == sorted(str(m["msgid"]) for m in sent)
    assert {r["attempts"] for r in rows} == {1}
    inbox = await db.fetchval(
        "SELECT count(*) FROM inbox_messages WHERE dedupe_key = $1", f"notice:{notice}"
    )
    assert inbox == GRANTED


async def test_our_rate_limit_keeps_wechat_from_throttling(
    client: httpx.AsyncClient,
    services: Services,
    settings: Settings,
    db: asyncpg.Connection,
    worker: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """With a WeChat rate of ours (4 a second, counted in Valkey across workers) below
    WeChat's (10 a second), WeChat never answers 45011: no batch is deferred, and every citizen
    gets the notice once. Without it, 32 in flight meet 45011 at once (the test above)."""
    services.push.pace = msgspec.structs.replace(services.push.pace, notice_wechat_per_second=4)
    openids = await _citizens_on_wechat(db, settings, 12)
    async with httpx.AsyncClient(base_url=settings.wechat.base_url) as wechat:
        limited = await wechat.post("/_control/subscribe-limits", json={"perSecond": 10})
        assert limited.status_code == 200
        with caplog.at_level(logging.INFO, logger="core.jobs"):
            notice = await _send_notice(
                client, services, {**DRAFT, "channels": ["inbox", "wechat"]}
            )
            await eventually(lambda: _settled(db, notice), timeout=120)
        sent = (await wechat.get("/_control/sent")).json()["messages"]
    assert collections.Counter(m["touser"] for m in sent) == dict.fromkeys(openids, 1)
    assert not [r for r in caplog.records if r.getMessage() == "job deferred"]
