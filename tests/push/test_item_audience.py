"""A notice to the citizens who applied for an item: the declarations service names them (push
reads no declarations table), each once however often they applied."""

from __future__ import annotations

import uuid

import asyncpg
import httpx

from api.composition import Services
from sandbox.runner import RunningApp
from tests.fixtures.declarations import LICENCE_ISSUER, RENT_WITHDRAWAL
from tests.fixtures.identity import bearer, make_staff, staff_login

NOTICE = {"title": "办理指南更新", "body": "您申请过的事项办理材料有调整，请查看最新办事指南。"}


async def test_item_audience_is_who_applied_for_it(
    client: httpx.AsyncClient, services: Services, db: asyncpg.Connection, provincial: RunningApp
) -> None:
    await services.catalog.sync()
    citizens = [
        r["id"]
        for r in await db.fetch(
            "INSERT INTO citizens (id) SELECT gen_random_uuid() FROM generate_series(1, 4) "
            "RETURNING id"
        )
    ]
    # Two applied for the item (one of them twice), one for another item, one for nothing.
    for citizen, item in [
        (citizens[0], RENT_WITHDRAWAL),
        (citizens[0], RENT_WITHDRAWAL),
        (citizens[1], RENT_WITHDRAWAL),
        (citizens[2], LICENCE_ISSUER),
    ]:
        await db.execute(
            """INSERT INTO declarations (id, citizen_id, item_code, item_name, submit_key)
               VALUES ($1, $2, $3, '测试事项', $4)""",
            uuid.uuid4(),
            citizen,
            item,
            str(uuid.uuid4()),
        )
    async with services.infra.pool.acquire() as conn:
        named = await services.declarations.push_applicants(
            conn, RENT_WITHDRAWAL, after=uuid.UUID(int=0), limit=10
        )
        first_page = await services.declarations.push_applicants(
            conn, RENT_WITHDRAWAL, after=uuid.UUID(int=0), limit=1
        )
        next_page = await services.declarations.push_applicants(
            conn, RENT_WITHDRAWAL, after=first_page[0], limit=10
        )
    assert named == sorted([citizens[0], citizens[1]])
    assert first_page + next_page == named

    operator = bearer(await staff_login(client, await make_staff(services, "i-op", "operator")))
    supervisor = bearer(
        await staff_login(client, await make_staff(services, "i-sup", "supervisor"))
    )
    draft = {**NOTICE, "audience": {"kind": "item", "itemCode": RENT_WITHDRAWAL}}
    notice = (await client.post("/ops/v1/notices", json=draft, headers=operator)).json()["id"]
    approved = await client.post(f"/ops/v1/notices/{notice}/approve", headers=supervisor)
    assert approved.status_code == 200
    assert approved.json()["figures"]["targeted"] == 2
