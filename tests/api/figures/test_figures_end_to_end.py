"""A declaration made through the API is counted where it belongs: the item's department and
region from the catalogue, the channel of the citizen's login (SSO: the app), and its 容缺
acceptance, once the platform accepts it and the rollup job runs."""

from __future__ import annotations

import uuid
from datetime import timedelta

import asyncpg
import httpx

from api.composition import Services
from api.figures.tasks import roll_up_until_caught_up
from core.clock import china_today
from tests.fixtures.declarations import CREMATION, FUNERAL_SUBSIDY, Applicant, first_format
from tests.fixtures.identity import bearer, make_staff, staff_login


async def test_a_tolerated_acceptance_is_counted_in_its_slice(
    live: httpx.AsyncClient,
    worker: None,
    applicant: Applicant,
    services: Services,
    db: asyncpg.Connection,
) -> None:
    draft = await applicant.create(FUNERAL_SUBSIDY)
    declaration = draft["id"]
    await applicant.fill(declaration)
    for material in draft["materials"]:
        if material["required"] and material["code"] != CREMATION and not material["tolerance"]:
            resp = await applicant.upload(declaration, material["code"], first_format(material))
            assert resp.status_code == 200, resp.text
    assert (await applicant.submit(declaration)).status_code == 200
    case = await applicant.case_number(declaration)
    await applicant.advance(case, "accepted", toleratedMissing=[CREMATION])
    await applicant.wait_state(declaration, "accepted")

    item = await db.fetchrow(
        "SELECT department_code, region_code FROM catalog_items WHERE code = $1", FUNERAL_SUBSIDY
    )
    row = await db.fetchrow(
        "SELECT department_code, region_code, channel FROM declarations WHERE id = $1",
        uuid.UUID(declaration),
    )
    assert tuple(row) == (item["department_code"], item["region_code"], "app")

    await roll_up_until_caught_up(services.figures)
    operator = bearer(await staff_login(live, await make_staff(services, "op-e2e", "operator")))
    # Yesterday too: the steps may straddle midnight in Beijing.
    today, yesterday = china_today(), china_today() - timedelta(days=1)
    period = {"from": yesterday.isoformat(), "to": today.isoformat()}
    answer = await live.get(
        "/ops/v1/figures/service",
        params={**period, "by": "item", "department": item["department_code"]},
        headers=operator,
    )
    assert answer.status_code == 200, answer.text
    rows = {r["key"]: r for r in answer.json()["rows"]}
    counted = rows[FUNERAL_SUBSIDY]
    assert (counted["applications"], counted["accepted"], counted["tolerated"]) == (1, 1, 1)
    assert counted["acceptanceMedianDays"] is not None
    app = await live.get(
        "/ops/v1/figures/service",
        params={**period, "by": "channel"},
        headers=operator,
    )
    assert [r["key"] for r in app.json()["rows"]] == ["app"]
