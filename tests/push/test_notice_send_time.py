"""A scheduled notice's time carries its offset: "09:00" alone is no moment in Beijing."""

from __future__ import annotations

import httpx

from api.composition import Services
from tests.fixtures.identity import bearer, make_staff, staff_login
from tests.fixtures.push import DRAFT


async def test_send_time_needs_its_offset(client: httpx.AsyncClient, services: Services) -> None:
    operator = bearer(await staff_login(client, await make_staff(services, "t-op", "operator")))
    naive = await client.post(
        "/ops/v1/notices", json={**DRAFT, "sendAt": "2026-12-05T09:00:00"}, headers=operator
    )
    assert naive.status_code == 422, naive.text
    beijing = await client.post(
        "/ops/v1/notices", json={**DRAFT, "sendAt": "2026-12-05T09:00:00+08:00"}, headers=operator
    )
    assert beijing.status_code == 200, beijing.text
    assert beijing.json()["sendAt"] == "2026-12-05T01:00:00Z"
