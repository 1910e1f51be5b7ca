"""Notices on every channel the citizen allows: the inbox always, WeChat with an openid and a
grant, the app with a device, SMS for urgent notices with a phone; each at most once even when
the batch jobs run again; the SMS cost shown before approval and confirmed by the approver;
per-channel figures that agree with a direct count."""

from __future__ import annotations

import uuid

import asyncpg
import httpx

from api.composition import Services
from core import jobs
from push.schemas import NOTICE_BATCH_JOB, NOTICE_CHANNEL_JOB, BatchJob, ChannelBatchJob
from push.service.sms_cost import sms_parts
from push.tasks import collect_receipts, send_app_batch
from sandbox.runner import RunningApp
from tests.fixtures.identity import Outside, bearer, make_staff, sms_login, staff_login
from tests.fixtures.notices import World, _device, _openid
from tests.fixtures.waiting import eventually

TITLE = "暴雨红色预警"
BODY = (
    "受强降雨影响，本市今晚至明日有大暴雨，局地特大暴雨。请减少外出，远离河道、山体和低洼地带，"
    "注意防范山洪、泥石流等次生灾害。政务服务大厅明日暂停现场办理，网上申报照常受理。"
)
SIGN = "【掌上办】"


def test_sms_parts_count_utf16_units_with_70_then_67() -> None:
    assert sms_parts("政" * 70) == 1
    assert sms_parts("政" * 71) == 2
    assert sms_parts("政" * 134) == 2
    assert sms_parts("政" * 135) == 3
    assert sms_parts("政" * 69 + "😀") == 2  # an emoji is two UTF-16 units: 71


async def _bare_citizen(db: asyncpg.Connection) -> uuid.UUID:
    """A citizen with no phone (an account made some other way than SMS login)."""
    citizen: uuid.UUID = await db.fetchval(
        "INSERT INTO citizens (id) VALUES (gen_random_uuid()) RETURNING id"
    )
    return citizen


async def _prefer(client: httpx.AsyncClient, token: str, **channels: bool) -> None:
    resp = await client.put("/api/v1/push/preferences", json={"wechat": True, "app": True, "sms": True, **channels},
                            headers=bearer(token))  # fmt: skip
    assert resp.status_code == 200, resp.text


async def test_urgent_notice_reaches_exactly_the_allowed_channels_once(
    client: httpx.AsyncClient,
    services: Services,
    db: asyncpg.Connection,
    outside: Outside,
    worker: None,
    apppush: RunningApp,
) -> None:
    world = World(outside.session, services)
    # wechat_only: an openid with a grant; app_only: a phone and a device, SMS switched off;
    # both: openid, grant and device; neither: nothing but the inbox; texted: a phone, SMS on;
    # all_off: everything, every channel switched off; no_grant: an openid without a grant.
    wechat_only, both, neither, no_grant = [await _bare_citizen(db) for _ in range(4)]
    app_only_login = await sms_login(client, outside, "13700000001")
    texted_login = await sms_login(client, outside, "13700000002")
    all_off_login = await sms_login(client, outside, "13700000003")
    app_only, texted, all_off = (
        uuid.UUID(login["citizen"]["id"]) for login in (app_only_login, texted_login, all_off_login)
    )
    await _openid(db, world, wechat_only, "oWechatOnly", granted=True)
    await _openid(db, world, both, "oBoth", granted=True)
    await _openid(db, world, all_off, "oAllOff", granted=True)
    await _openid(db, world, no_grant, "oNoGrant", granted=False)
    await _device(db, world, app_only, "ridAppOnly")
    await _device(db, world, both, "ridBoth")
    await _device(db, world, all_off, "ridAllOff")
    await _prefer(client, app_only_login["accessToken"], sms=False)
    await _prefer(client, all_off_login["accessToken"], wechat=False, app=False, sms=False)
    audience = [wechat_only, app_only, both, neither, texted, all_off, no_grant]

    operator = bearer(await staff_login(client, await make_staff(services, "u-op", "operator")))
    supervisor = bearer(
        await staff_login(client, await make_staff(services, "u-sup", "supervisor"))
    )
    draft = {"title": TITLE, "body": BODY, "urgent": True,
             "audience": {"kind": "list", "citizenIds": [str(c) for c in audience]}}  # fmt: skip
    drafted = await client.post("/ops/v1/notices", json=draft, headers=operator)
    assert drafted.status_code == 200, drafted.text
    notice = drafted.json()
    assert notice["urgent"] is True and notice["channels"] == ["inbox", "wechat", "app"]

    # The cost, before approval: one citizen with a phone allows SMS; the text with its
    # signature is longer than 70 characters, so it goes in parts of 67.
    length = len(SIGN + TITLE + "：" + BODY)
    assert 70 < length <= 134  # two parts
    shown = (await client.get(f"/ops/v1/notices/{notice['id']}", headers=supervisor)).json()["sms"]
    assert shown == {"recipients": 1, "parts": 2, "priceFen": 5, "costFen": 10, "approved": False}

    # The audience changes after the supervisor looked: the cost they saw is refused.
    await _prefer(client, app_only_login["accessToken"])  # SMS back on: two recipients now
    stale = await client.post(f"/ops/v1/notices/{notice['id']}/approve",
                              json={"smsCostFen": shown["costFen"]}, headers=supervisor)  # fmt: skip
    assert stale.status_code == 409, stale.text
    problem = stale.json()
    assert problem["code"] == "NOTICE_SMS_COST_CHANGED"
    assert problem["sms"]["costFen"] == 20 and problem["seenCostFen"] == 10
    unseen = await client.post(f"/ops/v1/notices/{notice['id']}/approve", headers=supervisor)
    assert unseen.status_code == 409 and unseen.json()["code"] == "NOTICE_SMS_COST_CHANGED"
    still = (await client.get(f"/ops/v1/notices/{notice['id']}", headers=supervisor)).json()
    assert still["status"] == "draft" and still["sms"]["costFen"] == 20

    await _prefer(client, app_only_login["accessToken"], sms=False)  # as it was
    shown = (await client.get(f"/ops/v1/notices/{notice['id']}", headers=supervisor)).json()["sms"]
    approved = await client.post(f"/ops/v1/notices/{notice['id']}/approve",
                                 json={"smsCostFen": shown["costFen"]}, headers=supervisor)  # fmt: skip
    assert approved.status_code == 200, approved.text
    assert approved.json()["sms"] == {**shown, "approved": True}
    assert await db.fetchval(
        "SELECT sms_cost_fen FROM notices WHERE id = $1::uuid", notice["id"]
    ) == 10  # fmt: skip

    async def settled() -> bool:
        return bool(await db.fetchval(
            """SELECT (SELECT status = 'sent' FROM notices WHERE id = $1::uuid)
                  AND NOT EXISTS (SELECT 1 FROM push_deliveries WHERE status = 'queued')
                  AND NOT EXISTS (SELECT 1 FROM pgqueuer WHERE entrypoint LIKE 'push.%')""",
            notice["id"]))  # fmt: skip

    await eventually(settled, timeout=60)

    async def reached() -> dict[str, list[str]]:
        return {
            "wechat": [o for o in ("oWechatOnly", "oBoth", "oAllOff", "oNoGrant")
                       for _ in range(await world.wechat_sent(o))],
            "app": [r for r in ("ridAppOnly", "ridBoth", "ridAllOff")
                    for _ in range(await world.app_pushes(r))],
            "sms": [p for p in ("13700000001", "13700000002", "13700000003")
                    for _ in await world.notice_sms(p)],
        }  # fmt: skip

    expected = {"wechat": ["oWechatOnly", "oBoth"], "app": ["ridAppOnly", "ridBoth"],
                "sms": ["13700000002"]}  # fmt: skip
    assert await reached() == expected
    (text,) = await world.notice_sms("13700000002")
    assert text["templateParams"] == {"title": TITLE, "body": BODY}
    inbox = await db.fetch(
        "SELECT citizen_id FROM inbox_messages WHERE dedupe_key = $1", f"notice:{notice['id']}"
    )
    assert sorted(r["citizen_id"] for r in inbox) == sorted(audience)  # the inbox always

    # The batch jobs run again, as a queue may run a job twice: nothing more is sent.
    deliveries = await db.fetch(
        """SELECT d.message_id, d.channel FROM push_deliveries d
             JOIN inbox_messages m ON m.id = d.message_id WHERE m.dedupe_key = $1""",
        f"notice:{notice['id']}",
    )
    async with services.infra.pool.acquire() as conn, conn.transaction():
        await jobs.enqueue(conn, NOTICE_BATCH_JOB, BatchJob(notice["id"]))
        for channel in ("wechat", "app", "sms"):
            ids = [str(d["message_id"]) for d in deliveries if d["channel"] == channel]
            await jobs.enqueue(conn, NOTICE_CHANNEL_JOB, ChannelBatchJob(channel, ids))
    await eventually(settled, timeout=30)
    assert await reached() == expected

    # Worse: the app batch was accepted by the aggregator but its outcome never committed (a
    # worker killed between the two): the retried batch sends the same cids, nothing twice.
    app_ids = [d["message_id"] for d in deliveries if d["channel"] == "app"]
    providers = dict(await db.fetch(
        "SELECT message_id, provider_id FROM push_deliveries WHERE channel = 'app'"))  # fmt: skip
    await db.execute(
        "UPDATE push_deliveries SET status = 'queued', provider_id = NULL WHERE channel = 'app'"
    )
    assert await send_app_batch(services.infra.pool, services.push, app_ids) == 2
    assert await reached() == expected
    assert dict(await db.fetch(
        "SELECT message_id, provider_id FROM push_deliveries WHERE channel = 'app'")) == providers  # fmt: skip


async def test_channel_figures_agree_with_a_direct_count(
    client: httpx.AsyncClient,
    services: Services,
    db: asyncpg.Connection,
    outside: Outside,
    worker: None,
    apppush: RunningApp,
) -> None:
    world = World(outside.session, services)
    logins = [await sms_login(client, outside, f"1370000010{n}") for n in range(3)]
    people = [uuid.UUID(login["citizen"]["id"]) for login in logins]
    bare = [await _bare_citizen(db) for _ in range(3)]
    await _openid(db, world, bare[0], "oFig0", granted=True)
    await _openid(db, world, bare[1], "oFig1", granted=False)  # a quota miss
    await _openid(db, world, people[0], "oFig2", granted=False)  # another
    await _device(db, world, people[1], "ridFig1")
    await _device(db, world, bare[2], "ridFig2")
    await _device(db, world, people[2], "ridGone")
    # The aggregator forgot one device (the app was uninstalled): that push fails.
    await outside.session.post(f"{apppush.url}/_control/reset")
    await world.post(apppush.url, "/_control/devices", {"registrationId": "ridFig1"})
    await world.post(
        apppush.url, "/_control/devices", {"registrationId": "ridFig2", "online": False}
    )
    await _prefer(client, logins[2]["accessToken"], sms=False)

    operator = bearer(await staff_login(client, await make_staff(services, "f-op", "operator")))
    supervisor = bearer(
        await staff_login(client, await make_staff(services, "f-sup", "supervisor"))
    )
    draft = {"title": "停水通知", "body": "明日9时至17时停水。", "urgent": True,
             "audience": {"kind": "all"}}  # fmt: skip
    notice = (await client.post("/ops/v1/notices", json=draft, headers=operator)).json()
    assert notice["sms"]["recipients"] == 2 and notice["sms"]["parts"] == 1
    approved = await client.post(f"/ops/v1/notices/{notice['id']}/approve",
                                 json={"smsCostFen": notice["sms"]["costFen"]}, headers=supervisor)  # fmt: skip
    assert approved.status_code == 200, approved.text

    async def settled() -> bool:
        return bool(await db.fetchval(
            """SELECT (SELECT status = 'sent' FROM notices WHERE id = $1::uuid)
                  AND NOT EXISTS (SELECT 1 FROM push_deliveries WHERE status = 'queued')""",
            notice["id"]))  # fmt: skip

    await eventually(settled, timeout=60)
    first = (await client.get("/api/v1/inbox", headers=bearer(logins[0]["accessToken"]))).json()
    read = await client.post(f"/api/v1/inbox/{first['items'][0]['id']}/read",
                             headers=bearer(logins[0]["accessToken"]))  # fmt: skip
    assert read.status_code == 204
    # The worker's receipts job (every minute) may have asked first; either way some are in.
    await collect_receipts(services.infra.pool, services.push)
    assert await db.fetchval("SELECT count(*) FROM push_deliveries WHERE status = 'delivered'")

    figures = (await client.get(f"/ops/v1/notices/{notice['id']}", headers=supervisor)).json()[
        "figures"
    ]
    key = f"notice:{notice['id']}"
    direct: dict[tuple[str, str], int] = {
        (r["channel"], r["status"]): r["n"]
        for r in await db.fetch(
            """SELECT d.channel, d.status, count(*) AS n FROM push_deliveries d
                 JOIN inbox_messages m ON m.id = d.message_id WHERE m.dedupe_key = $1
                GROUP BY 1, 2""",
            key,
        )
    }
    written = await db.fetchval("SELECT count(*) FROM inbox_messages WHERE dedupe_key = $1", key)
    opened = await db.fetchval(
        "SELECT count(*) FROM inbox_messages WHERE dedupe_key = $1 AND read_at IS NOT NULL", key
    )
    assert (written, opened) == (6, 1)
    assert figures["channels"]["inbox"] == {
        "queued": 0, "sent": written, "delivered": None, "read": opened, "failed": 0,
        "skipped": 0, "quotaMisses": None,
    }  # fmt: skip
    wechat_sent = sum([await world.wechat_sent(o) for o in ("oFig0", "oFig1", "oFig2")])
    assert figures["channels"]["wechat"] == {
        "queued": 0, "sent": wechat_sent, "delivered": None, "read": None, "failed": 0,
        "skipped": 0, "quotaMisses": 2,
    }  # fmt: skip
    assert wechat_sent == direct[("wechat", "sent")] == 1
    app_accepted = sum([await world.app_pushes(r) for r in ("ridFig1", "ridFig2", "ridGone")])
    assert figures["channels"]["app"] == {
        "queued": 0, "sent": app_accepted, "delivered": direct[("app", "delivered")],
        "read": None, "failed": direct[("app", "failed")], "skipped": 0, "quotaMisses": None,
    }  # fmt: skip
    # ridFig1 online and received, ridFig2 offline (no receipt yet), ridGone unknown (1011).
    assert (app_accepted, direct[("app", "delivered")], direct[("app", "failed")]) == (2, 1, 1)
    texted = sum([len(await world.notice_sms(f"1370000010{n}")) for n in range(3)])
    assert figures["channels"]["sms"] == {
        "queued": 0, "sent": texted, "delivered": direct[("sms", "delivered")], "read": None,
        "failed": 0, "skipped": 0, "quotaMisses": None,
    }  # fmt: skip
    assert texted == direct[("sms", "delivered")] == 2
    assert figures["sent"] == written and figures["read"] == opened
