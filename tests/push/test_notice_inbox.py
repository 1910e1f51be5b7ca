"""A notice's text is written once, on the notice: each recipient's inbox row only names it,
and every reader (the citizen's inbox, the WeChat and app sends, an urgent notice's SMS) shows
the notice's own text. The delivery log's group commit finds its rows by primary key even
when the table's statistics lag far behind a fan-out."""

from __future__ import annotations

import uuid

import asyncpg
import httpx

from api.composition import Services
from push.repository.deliveries import NO_NESTED_LOOPS, RECORD_DELIVERIES
from sandbox.runner import RunningApp
from tests.fixtures.identity import Outside, bearer, make_staff, sms_login, staff_login
from tests.fixtures.notices import World, _device, _openid
from tests.fixtures.waiting import eventually

TITLE = "医保缴费提醒"
BODY = "2027年度城乡居民医保集中缴费期为10月1日至12月31日，请按时缴费。"
LINK = "/pages/items/detail?code=YB0001"


async def test_notice_text_is_stored_once_and_every_reader_shows_it(
    client: httpx.AsyncClient,
    services: Services,
    db: asyncpg.Connection,
    outside: Outside,
    worker: None,
    apppush: RunningApp,
) -> None:
    world = World(outside.session, services)
    logins = [await sms_login(client, outside, f"1370000020{n}") for n in range(3)]
    people = [uuid.UUID(login["citizen"]["id"]) for login in logins]
    await _openid(db, world, people[0], "oTextOnce", granted=True)
    await _device(db, world, people[1], "ridTextOnce")
    # A message of another kind keeps its own text (the CHECK: a text or a notice).
    await db.execute(
        """INSERT INTO inbox_messages (id, citizen_id, event_type, title, body, dedupe_key)
           VALUES (gen_random_uuid(), $1, 'case_accepted', '已受理', '您的申报已受理。', 'x:1')""",
        people[2],
    )

    operator = bearer(await staff_login(client, await make_staff(services, "t-op", "operator")))
    supervisor = bearer(
        await staff_login(client, await make_staff(services, "t-sup", "supervisor"))
    )
    draft = {"title": TITLE, "body": BODY, "link": LINK, "urgent": True,
             "audience": {"kind": "list", "citizenIds": [str(p) for p in people]}}  # fmt: skip
    notice = (await client.post("/ops/v1/notices", json=draft, headers=operator)).json()
    approved = await client.post(f"/ops/v1/notices/{notice['id']}/approve",
                                 json={"smsCostFen": notice["sms"]["costFen"]}, headers=supervisor)  # fmt: skip
    assert approved.status_code == 200, approved.text

    async def settled() -> bool:
        return bool(await db.fetchval(
            """SELECT (SELECT status = 'sent' FROM notices WHERE id = $1::uuid)
                  AND NOT EXISTS (SELECT 1 FROM push_deliveries WHERE status = 'queued')
                  AND NOT EXISTS (SELECT 1 FROM pgqueuer WHERE entrypoint LIKE 'push.%')""",
            notice["id"]))  # fmt: skip

    await eventually(settled, timeout=60)

    # Written once: the recipients' rows name the notice and hold no text.
    rows = await db.fetch(
        """SELECT citizen_id, notice_id, title, body, link FROM inbox_messages
            WHERE dedupe_key = $1""",
        f"notice:{notice['id']}",
    )
    assert sorted(r["citizen_id"] for r in rows) == sorted(people)
    assert {(r["notice_id"], r["title"], r["body"], r["link"]) for r in rows} == {
        (uuid.UUID(notice["id"]), None, None, None)
    }
    with_text = await db.fetchval(
        "SELECT count(*) FROM inbox_messages WHERE title = $1 OR body = $2", TITLE, BODY
    )
    assert with_text == 0

    # Each citizen's inbox shows the notice as it was written (and other messages their own).
    for login in logins:
        inbox = await client.get("/api/v1/inbox", headers=bearer(login["accessToken"]))
        assert inbox.status_code == 200, inbox.text
        shown = [m for m in inbox.json()["items"] if m["eventType"] == "notice"]
        assert [(m["title"], m["body"], m["link"]) for m in shown] == [(TITLE, BODY, LINK)]
    other = (await client.get("/api/v1/inbox", headers=bearer(logins[2]["accessToken"]))).json()
    assert ("已受理", "您的申报已受理。") in {(m["title"], m["body"]) for m in other["items"]}

    # The other channels carried the notice's text.
    sent = await world.get(world.settings.wechat.base_url, "/_control/sent", openid="oTextOnce")
    (message,) = sent["messages"]
    assert message["page"] == LINK
    assert message["data"]["thing1"]["value"] == TITLE[:20]
    assert message["data"]["thing2"]["value"].startswith(BODY[:19])
    pushes = await world.get(apppush.url, "/_control/pushes", registrationId="ridTextOnce")
    (push,) = pushes["pushes"]
    assert push["notification"]["android"]["title"] == TITLE
    assert push["notification"]["alert"] == BODY
    texts = [m for n in range(3) for m in await world.notice_sms(f"1370000020{n}")]
    assert texts and {tuple(sorted(t["templateParams"].items())) for t in texts} == {
        (("body", BODY), ("title", TITLE))
    }


async def test_group_commit_finds_deliveries_by_primary_key_with_stale_statistics(
    db: asyncpg.Connection,
) -> None:
    """The delivery log's statistics were taken when it held a few deliveries, all sent (an
    earlier notice); then a fan-out queued thousands. The group commit's generic plan still looks its rows up
    by primary key, never by scanning the queued deliveries (a scan per commit made a big
    notice's writes quadratic), and joins the batch to them by hash (a nested loop unnested
    the batch again for each of them, quadratic too)."""
    await db.execute(
        """INSERT INTO citizens (id) SELECT gen_random_uuid() FROM generate_series(1, 20);
           INSERT INTO inbox_messages (id, citizen_id, event_type, title, body, dedupe_key)
           SELECT gen_random_uuid(), id, 'notice', 't', 'b', 'notice:old' FROM citizens;
           INSERT INTO push_deliveries (message_id, channel, status) SELECT id, 'wechat', 'sent'
             FROM inbox_messages;
           ANALYZE citizens, inbox_messages, push_deliveries;
           INSERT INTO citizens (id) SELECT gen_random_uuid() FROM generate_series(1, 20000);
           INSERT INTO inbox_messages (id, citizen_id, event_type, title, body, dedupe_key)
           SELECT gen_random_uuid(), id, 'notice', 't', 'b', 'notice:new' FROM citizens
            WHERE NOT EXISTS (SELECT 1 FROM inbox_messages m WHERE m.citizen_id = citizens.id);
           INSERT INTO push_deliveries (message_id, channel) SELECT id, c
             FROM inbox_messages, unnest('{wechat,app}'::text[]) AS c
           ON CONFLICT DO NOTHING"""
    )
    async with db.transaction():
        await db.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        await db.execute(NO_NESTED_LOOPS)
        await db.execute(f"PREPARE record_deliveries AS {RECORD_DELIVERIES}")
        try:
            ids = [str(r["id"]) for r in await db.fetch("SELECT id FROM inbox_messages LIMIT 64")]
            # EXPLAIN EXECUTE takes literals; the generic plan does not look at them.
            plan = "\n".join(
                r[0]
                for r in await db.fetch(
                    f"""EXPLAIN EXECUTE record_deliveries(
                            'wechat', '{{{",".join(ids)}}}', '{{{",".join(["sent"] * len(ids))}}}',
                            '{{{",".join(["NULL"] * len(ids))}}}', '{{{",".join(["p"] * len(ids))}}}')"""
                )
            )
        finally:
            await db.execute("DEALLOCATE record_deliveries")
    assert "push_deliveries_pkey" in plan, plan
    assert "Seq Scan on push_deliveries" not in plan, plan
    # The batch is joined by hash, not unnested again for every delivery found.
    assert "Hash Join" in plan and "Nested Loop" not in plan, plan
