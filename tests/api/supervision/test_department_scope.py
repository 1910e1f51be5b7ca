"""Department scoping (issue 19's acceptance): officers of two departments and a province-wide
supervisor, each staff endpoint that reads cases or figures → who sees what. A scoped officer
sees only their departments; asking for another department is 403 DEPARTMENT_OUT_OF_SCOPE; a
route not cut by department (notices, payments, system views) is 403 PROVINCE_WIDE_ONLY."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from api.composition import Services
from api.figures.tasks import roll_up_until_caught_up
from core.clock import china_today
from tests.fixtures.identity import bearer, make_staff, staff_login
from tests.fixtures.supervision import (
    at,
    seed_case,
    seed_citizen,
    seed_items,
    seed_ticket,
)

D1, D2 = "SUP_D1", "SUP_D2"


def _codes(key: str) -> Callable[[Any], set[str]]:
    return lambda rows: {r[key] for r in rows}


async def _seed(db: asyncpg.Connection, services: Services) -> dict[str, str]:
    """In each of D1 and D2: an open overdue case, a finished one with a bad-review ticket,
    timeline in the last days (figures), and last month's card."""
    await seed_items(db)
    citizen = await seed_citizen(db, services, "王小明")
    today = china_today(datetime.now(UTC))
    recent = today - timedelta(days=3)
    tickets = {}
    for department in (D1, D2):
        await seed_case(
            db, citizen, department, state="accepted", submitted=at(recent),
            accepted=at(recent), promised_due=today - timedelta(days=1),
        )  # fmt: skip
        done = await seed_case(
            db, citizen, department, state="completed", submitted=at(recent),
            accepted=at(recent), finished=at(recent, 15), promised_due=today,
        )  # fmt: skip
        tickets[department] = str(
            await seed_ticket(db, done, citizen, department, rated=at(recent, 16), due_on=today)
        )
        last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
        await db.execute(
            """INSERT INTO supervision_cards (department_code, month, colour, reasons, overdue)
               VALUES ($1, $2, 'red', '{overdue}', 4)""",
            department,
            last_month,
        )
    async with services.infra.pool.acquire() as conn, conn.transaction():
        await services.declarations.supervise(conn)
    await roll_up_until_caught_up(services.figures)
    return tickets


# Each endpoint: where, what it answers per department, and how to read the departments seen.
ENDPOINTS: dict[str, tuple[str, dict[str, str], Callable[[Any], set[str]]]] = {
    "supervision list": (
        "/ops/v1/supervision/cases", {}, lambda b: _codes("departmentCode")(b["items"])
    ),
    "cards": ("/ops/v1/supervision/cards", {}, lambda b: _codes("departmentCode")(b["departments"])),
    "service figures": (
        "/ops/v1/figures/service",
        {"by": "department"},
        lambda b: _codes("key")(b["rows"]),
    ),
    "review tickets": (
        "/ops/v1/reviews/tickets", {}, lambda b: _codes("departmentCode")(b["items"])
    ),
    "review figures": (
        "/ops/v1/reviews/figures", {}, lambda b: _codes("key")(b["byDepartment"])
    ),
}  # fmt: skip


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
async def test_each_officer_sees_their_department_only(
    endpoint: str, client: httpx.AsyncClient, services: Services, db: asyncpg.Connection
) -> None:
    tickets = await _seed(db, services)
    today = china_today(datetime.now(UTC))
    period = {"from": (today - timedelta(days=10)).isoformat(), "to": today.isoformat()}
    callers = {
        "officer D1": await make_staff(services, "off-d1", "operator", [D1]),
        "officer D2": await make_staff(services, "off-d2", "operator", [D2]),
        "officer D1+D2": await make_staff(services, "off-d12", "auditor", [D1, D2]),
        "province supervisor": await make_staff(services, "sup-all", "supervisor"),
    }
    sees = {"officer D1": {D1}, "officer D2": {D2}, "officer D1+D2": {D1, D2},
            "province supervisor": {D1, D2}}  # fmt: skip
    path, params, departments = ENDPOINTS[endpoint]
    if "figures" in endpoint:
        params = params | period
    signed_in = {who: bearer(await staff_login(client, a)) for who, a in callers.items()}
    for who, headers in signed_in.items():
        answer = await client.get(path, params=params, headers=headers)
        assert answer.status_code == 200, (who, answer.text)
        assert departments(answer.json()) == sees[who], who
        for department in (D1, D2):
            one = await client.get(path, params=params | {"department": department},
                                   headers=headers)  # fmt: skip
            if department in sees[who]:
                assert one.status_code == 200, (who, one.text)
                assert departments(one.json()) == {department}, who
            else:
                assert one.status_code == 403, (who, department, one.text)
                assert one.headers["content-type"] == "application/problem+json"
                problem = one.json()
                assert problem["code"] == "DEPARTMENT_OUT_OF_SCOPE"
                assert problem["title"] == "您只能查看本部门的办件和数据"
    if endpoint == "review tickets":
        # A ticket of another department is not found for the officer (not disclosed), found
        # for their own and for the province.
        d1, province = signed_in["officer D1"], signed_in["province supervisor"]
        for ticket, expected in ((tickets[D1], 200), (tickets[D2], 404)):
            detail = await client.get(f"/ops/v1/reviews/tickets/{ticket}", headers=d1)
            assert detail.status_code == expected, detail.text
            worked = await client.post(
                f"/ops/v1/reviews/tickets/{ticket}/contact", json={"note": "已电话联系"},
                headers=d1,
            )  # fmt: skip
            assert worked.status_code == expected, worked.text
        assert (
            await client.get(f"/ops/v1/reviews/tickets/{tickets[D2]}", headers=province)
        ).status_code == 200


async def test_routes_not_cut_by_department_are_province_wide_only(
    client: httpx.AsyncClient, services: Services
) -> None:
    scoped = bearer(await staff_login(
        client, await make_staff(services, "sup-d1", "supervisor", [D1])
    ))  # fmt: skip
    province = bearer(await staff_login(client, await make_staff(services, "sup", "supervisor")))
    for path in ("/ops/v1/notices", "/ops/v1/payments/orders", "/ops/v1/system/jobs/dead-letters"):
        refused = await client.get(path, headers=scoped)
        assert refused.status_code == 403, (path, refused.text)
        assert refused.json()["code"] == "PROVINCE_WIDE_ONLY"
        assert (await client.get(path, headers=province)).status_code == 200, path
    # What carries no department's data stays open to a scoped account.
    me = await client.get("/ops/v1/me", headers=scoped)
    assert me.status_code == 200 and me.json()["departments"] == [D1]
    assert (await client.get("/ops/v1/me", headers=province)).json()["departments"] is None
    assert (await client.get("/ops/v1/calendar", headers=scoped)).status_code == 200
    assert (await client.get("/ops/v1/inbox", headers=scoped)).status_code == 200


async def test_an_admin_is_never_scoped(services: Services, db: asyncpg.Connection) -> None:
    await make_staff(services, "root", "admin")
    with pytest.raises(asyncpg.CheckViolationError):
        await db.execute("UPDATE staff SET department_codes = '{SUP_D1}' WHERE username = 'root'")
    with pytest.raises(asyncpg.CheckViolationError):
        await db.execute("UPDATE staff SET department_codes = '{}' WHERE username = 'root'")
