"""What a draft's writes cost the database, and that what they no longer read stays true.

A draft started and its form saved (bench/declarations.py's `declaration_write` line measures
these with a submission): the item comes from the process's catalogue cache (no statement once
held), the draft and its first timeline entry are one statement, a save is one UPDATE answering
the row with its timeline. Counted as tests/api/declarations/test_submit_queries.py counts (the
application's own pool, BEGIN/COMMIT aside). The answers are the ones a fresh read gives, and a
catalogue change reaches the held item (a suspended item refuses new drafts at once).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.composition import DB_POOL_KEY
from core.db import Pool
from core.settings import Settings
from tests.fixtures.declarations import RENT_WITHDRAWAL, Applicant, synced
from tests.fixtures.identity import Outside, sso, user
from tests.fixtures.servers import serve_in_process
from tests.fixtures.statements import counting
from tests.fixtures.waiting import eventually

# Before: a draft took 8 statements (the item and its halls, the row, its first timeline entry,
# the wallet, the row again, the citizen, the timeline) and a save 7 (the row locked, the item
# and its halls, the update, the attachments, the citizen, the timeline).
CREATE_STATEMENTS = 4  # the draft with its timeline entry, the wallet, the library, the citizen
SAVE_STATEMENTS = 5  # the update with its timeline, attachments, library, wallet, citizen


@pytest.fixture
async def app_client(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    app = create_app(settings, configure_logs=False)
    async with serve_in_process(app) as client:
        yield client, app


def filled(draft: dict[str, Any]) -> dict[str, Any]:
    data = dict(draft["formData"])
    for field in draft["form"]:
        if field["key"] not in data and field["required"]:
            values = {"select": (field["options"] or [""])[-1], "date": "2026-11-01", "number": 1}
            data[field["key"]] = values.get(field["type"], "申请办理")
    return data


async def test_a_draft_and_its_save_make_each_round_trip_once(
    app_client: tuple[httpx.AsyncClient, Any],
    outside: Outside,
    services: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client, app = app_client
    await synced(services)
    token = (await sso(client, outside, user("zhangsan"))).json()["accessToken"]
    applicant = Applicant(client, outside, token)
    pool: Pool = app.state[DB_POOL_KEY]
    first = await applicant.create(RENT_WITHDRAWAL)  # the item now held by this process

    with counting(pool, monkeypatch) as create_statements:
        draft = await applicant.create(RENT_WITHDRAWAL)
        await asyncio.sleep(0)
    with counting(pool, monkeypatch) as save_statements:
        saved = await client.patch(
            f"/api/v1/declarations/{draft['id']}",
            json={"formData": filled(draft)},
            headers=applicant.headers,
        )
        await asyncio.sleep(0)
    assert saved.status_code == 200, saved.text

    # What the writes answered is what a read answers (the timeline with its times).
    later = {"formData": draft["formData"], "updatedAt": draft["updatedAt"]}  # the save's
    assert draft == {**(await applicant.detail(draft["id"])), **later}
    assert saved.json() == await applicant.detail(draft["id"])
    assert [e["state"] for e in saved.json()["timeline"]] == ["draft"]
    assert draft["form"] == first["form"]

    assert not [s for s in create_statements + save_statements if "catalog_items" in s]
    assert len(create_statements) <= CREATE_STATEMENTS, "\n".join(create_statements)
    assert len(save_statements) <= SAVE_STATEMENTS, "\n".join(save_statements)


async def test_a_save_of_what_is_no_draft_changes_nothing(
    app_client: tuple[httpx.AsyncClient, Any], outside: Outside, services: Any
) -> None:
    client, _ = app_client
    await synced(services)
    token = (await sso(client, outside, user("zhangsan"))).json()["accessToken"]
    applicant = Applicant(client, outside, token)
    draft = await applicant.create(RENT_WITHDRAWAL)
    path = f"/api/v1/declarations/{draft['id']}"

    bad = await client.patch(path, json={"formData": {"nope": 1}}, headers=applicant.headers)
    assert bad.status_code == 400 and bad.json()["code"] == "FORM_INVALID"
    assert (await applicant.detail(draft["id"]))["formData"] == draft["formData"]

    withdrawn = await client.post(
        path + "/withdraw", json={"reason": "不办了"}, headers=applicant.headers
    )
    assert withdrawn.status_code == 200, withdrawn.text
    late = await client.patch(path, json={"formData": filled(draft)}, headers=applicant.headers)
    assert late.status_code == 409 and late.json()["code"] == "DECLARATION_STATE_CONFLICT"
    assert (await applicant.detail(draft["id"]))["formData"] == draft["formData"]

    other = Applicant(
        client, outside, (await sso(client, outside, user("lisi"))).json()["accessToken"]
    )
    theirs = await client.patch(path, json={"formData": filled(draft)}, headers=other.headers)
    assert theirs.status_code == 404


async def test_a_catalogue_change_reaches_the_item_a_process_holds(
    app_client: tuple[httpx.AsyncClient, Any], outside: Outside, services: Any
) -> None:
    client, _ = app_client
    await synced(services)
    token = (await sso(client, outside, user("zhangsan"))).json()["accessToken"]
    applicant = Applicant(client, outside, token)
    await applicant.create(RENT_WITHDRAWAL)  # held now
    await outside.post(
        f"{outside.provincial}/_control/items/{RENT_WITHDRAWAL}/suspend", {"reason": "系统升级"}
    )
    await synced(services)  # the sync commits, then bumps the catalogue's version

    async def refused() -> httpx.Response | None:
        resp = await client.post(
            "/api/v1/declarations", json={"itemCode": RENT_WITHDRAWAL}, headers=applicant.headers
        )
        return resp if resp.status_code != 200 else None

    answer = await eventually(refused)
    assert answer.json()["code"] == "ITEM_NOT_ACCEPTING", answer.text
