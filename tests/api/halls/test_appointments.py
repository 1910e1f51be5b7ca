"""Appointments (预约): the race for the last place, the limits, cancelling until the cut-off,
no-shows pausing booking, the reminder the day before, a draft declaration carried to the
window."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx
import pytest

from api.composition import Services
from tests.fixtures.declarations import Applicant
from tests.fixtures.halls import (
    CITY_HALL,
    ID_CARD,
    PROPERTY,
    MovableClock,
    book,
    citizen,
    run_supervision,
    synced_halls,
)
from tests.fixtures.identity import Outside, bearer, make_staff, staff_login


async def _problem(resp: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    body = dict(resp.json())
    assert body["code"] == code, body
    return body


async def test_fifty_citizens_race_for_the_last_place(
    client: httpx.AsyncClient, outside: Outside, services: Services, db: asyncpg.Connection
) -> None:
    await synced_halls(services)
    first = await citizen(client, outside, "early-bird")
    assert (await book(client, first)).status_code == 201  # 1 of the 2 places of 09:00
    racers = await asyncio.gather(*(citizen(client, outside, f"racer-{n}") for n in range(50)))

    answers = await asyncio.gather(*(book(client, headers) for headers in racers))

    won = [a for a in answers if a.status_code == 201]
    lost = [a for a in answers if a.status_code != 201]
    assert len(won) == 1, [a.text for a in answers if a.status_code not in (201, 409)]
    assert len(lost) == 49
    for answer in lost:
        body = await _problem(answer, 409, "APPOINTMENT_SLOT_FULL")
        assert body["title"] == "该时段已约满，请选择其他时段"
    slot = await db.fetchrow(
        "SELECT capacity, booked FROM appointment_slots WHERE hall_code = $1 AND item_code = $2",
        CITY_HALL,
        ID_CARD,
    )
    assert (slot["capacity"], slot["booked"]) == (2, 2)
    booked = await db.fetchval("SELECT count(*) FROM appointments WHERE status = 'booked'")
    assert booked == 2
    slots = await client.get(f"/api/v1/halls/{CITY_HALL}/slots", params={"itemCode": ID_CARD})
    tuesday = next(d for d in slots.json()["days"] if d["date"] == "2026-06-16")
    assert tuesday["slots"][0]["remaining"] == 0

    # The database itself refuses an overbooked or negative slot, whatever the code does.
    for booked_value in (3, -1):
        with pytest.raises(asyncpg.CheckViolationError):
            await db.execute(
                "UPDATE appointment_slots SET booked = $1 WHERE hall_code = $2",
                booked_value,
                CITY_HALL,
            )
    with pytest.raises(asyncpg.CheckViolationError):
        await db.execute(
            "UPDATE appointment_slots SET capacity = -1 WHERE hall_code = $1", CITY_HALL
        )


async def test_limits_and_cancel_until_the_cut_off(
    client: httpx.AsyncClient, outside: Outside, services: Services, clock: MovableClock
) -> None:
    await synced_halls(services)
    me = await citizen(client, outside, "wangwu")
    # Not offered: a holiday, outside the hours, the past, too far ahead, an item not served.
    for day, start in (("2026-06-19", "09:00"), ("2026-06-16", "12:30"), ("2026-06-15", "07:30"),
                       ("2026-06-16", "09:15"), ("2026-06-29", "09:00")):  # fmt: skip
        await _problem(await book(client, me, day, start), 409, "APPOINTMENT_SLOT_UNAVAILABLE")
    await _problem(
        await book(client, me, item="12620100013900155L-GG-00401-001"), 404, "HALL_ITEM_NOT_SERVED"
    )

    one = await book(client, me, "2026-06-16", "09:00")
    assert one.status_code == 201, one.text
    body = one.json()
    assert body["status"] == "booked" and body["hall"]["code"] == CITY_HALL
    assert body["item"] == {"code": ID_CARD, "name": "居民身份证换领"}
    assert (body["start"], body["end"]) == ("09:00", "09:30")
    assert body["cancellableUntil"] == "2026-06-16T07:00:00+08:00"
    await _problem(await book(client, me, "2026-06-16", "09:00"), 409, "APPOINTMENT_ALREADY_BOOKED")
    assert (await book(client, me, "2026-06-16", "10:00")).status_code == 201
    assert (await book(client, me, "2026-06-17", "14:00", item=PROPERTY)).status_code == 201
    over = await _problem(
        await book(client, me, "2026-06-18", "09:00"), 409, "APPOINTMENT_LIMIT_REACHED"
    )
    assert over["maxOpen"] == 3 and "最多" in str(over["detail"])

    mine = (await client.get("/api/v1/appointments", headers=me)).json()
    assert (mine["openCount"], mine["maxOpen"], mine["pausedUntil"]) == (3, 3, None)
    # Cancelling gives the place back and frees one of the three.
    cancelled = await client.post(f"/api/v1/appointments/{body['id']}/cancel", headers=me)
    assert cancelled.status_code == 200, cancelled.text
    assert (
        cancelled.json()["status"] == "cancelled" and cancelled.json()["cancellableUntil"] is None
    )
    await _problem(
        await client.post(f"/api/v1/appointments/{body['id']}/cancel", headers=me),
        409,
        "APPOINTMENT_NOT_CANCELLABLE",
    )
    assert (await book(client, me, "2026-06-18", "09:00")).status_code == 201

    # Two hours before the slot it can no longer be cancelled.
    ten = next(a for a in (await client.get("/api/v1/appointments", headers=me)).json()["items"]
               if a["start"] == "10:00")  # fmt: skip
    clock.set(6, 16, 8, 1)
    late = await _problem(
        await client.post(f"/api/v1/appointments/{ten['id']}/cancel", headers=me),
        409,
        "APPOINTMENT_CANCEL_TOO_LATE",
    )
    assert late["cancellableUntil"] == "2026-06-16T08:00:00+08:00"
    clock.set(6, 16, 7, 59)
    assert (
        await client.post(f"/api/v1/appointments/{ten['id']}/cancel", headers=me)
    ).status_code == 200


async def test_three_no_shows_pause_booking_for_thirty_days(
    client: httpx.AsyncClient, outside: Outside, services: Services, clock: MovableClock
) -> None:
    await synced_halls(services)
    me = await citizen(client, outside, "zhaoliu")
    for day in ("2026-06-15", "2026-06-16", "2026-06-17"):
        assert (await book(client, me, day, "15:00")).status_code == 201
    # Nobody came: each counted half an hour after its slot ended.
    clock.set(6, 15, 15, 59)
    assert (await run_supervision(services))[0] == 0
    clock.set(6, 15, 16, 1)
    assert (await run_supervision(services))[0] == 1
    clock.set(6, 17, 18, 0)
    assert (await run_supervision(services))[0] == 2
    assert (await run_supervision(services))[0] == 0

    clock.set(6, 18, 8, 0)
    paused = await _problem(
        await book(client, me, "2026-06-18", "09:00"), 409, "APPOINTMENT_PAUSED"
    )
    assert paused["rule"] == "90天内预约未到3次，自最近一次未到之日起暂停预约30天"
    assert paused["pausedUntil"] == "2026-07-17"
    assert "2026-07-17" in str(paused["detail"])
    mine = (await client.get("/api/v1/appointments", headers=me)).json()
    assert mine["pausedUntil"] == "2026-07-17"
    assert {a["status"] for a in mine["items"]} == {"no_show"}
    inbox = (await client.get("/api/v1/inbox", headers=me)).json()["items"]
    told = [m for m in inbox if m["eventType"] == "appointment.no_show"]
    assert len(told) == 3 and any("已暂停" in m["body"] for m in told)

    # 30 days on, booking opens again.
    clock.set(7, 16, 8, 0)
    await _problem(await book(client, me, "2026-07-16", "09:00"), 409, "APPOINTMENT_PAUSED")
    clock.set(7, 17, 8, 0)
    assert (await book(client, me, "2026-07-17", "09:00")).status_code == 201


async def test_the_reminder_goes_once_the_day_before(
    client: httpx.AsyncClient, outside: Outside, services: Services, clock: MovableClock
) -> None:
    await synced_halls(services)
    me = await citizen(client, outside, "sunqi")
    booked = await book(client, me, "2026-06-17", "10:30")
    assert booked.status_code == 201
    assert (await book(client, me, "2026-06-16", "10:30")).status_code == 201

    # Monday: the Tuesday booking's day before, from 09:00.
    assert await run_supervision(services) == (0, 0)  # 08:00
    clock.set(6, 15, 9, 0)
    assert await run_supervision(services) == (0, 1)
    assert await run_supervision(services) == (0, 0)  # idempotent
    clock.set(6, 16, 9, 30)
    assert await run_supervision(services) == (0, 1)  # Wednesday's
    clock.set(6, 16, 20, 0)
    assert await run_supervision(services) == (1, 0)  # Tuesday's: nobody came

    inbox = (await client.get("/api/v1/inbox", headers=me)).json()["items"]
    reminders = [m for m in inbox if m["eventType"] == "appointment.reminder"]
    assert len(reminders) == 2
    wednesday = next(m for m in reminders if "2026-06-17" in m["body"])
    assert wednesday["title"] == "预约办理提醒"
    assert "金城市政务服务中心" in wednesday["body"] and "10:30-11:00" in wednesday["body"]
    assert "06月17日08:30" in wednesday["body"]  # the cut-off to cancel
    assert wednesday["link"] == f"/pages/appointments/index?id={booked.json()['id']}"


async def test_a_draft_declaration_goes_to_the_window(
    client: httpx.AsyncClient, outside: Outside, services: Services, applicant: Applicant
) -> None:
    await synced_halls(services)
    draft = await applicant.create(ID_CARD)
    photo = next(m for m in draft["materials"] if "jpg" in m["formats"])
    assert (await applicant.upload(draft["id"], photo["code"], "jpg")).status_code == 200
    other = await applicant.create(PROPERTY)
    # Only my own draft of this item.
    await _problem(
        await book(client, applicant.headers, declarationId=other["id"]),
        409,
        "APPOINTMENT_DECLARATION_NOT_USABLE",
    )
    stranger = await citizen(client, outside, "stranger")
    await _problem(
        await book(client, stranger, declarationId=draft["id"]),
        409,
        "APPOINTMENT_DECLARATION_NOT_USABLE",
    )
    booked = await book(client, applicant.headers, declarationId=draft["id"])
    assert booked.status_code == 201, booked.text
    assert booked.json()["declarationId"] == draft["id"]

    window = bearer(await staff_login(client, await make_staff(services, "window1", "operator")))
    day = await client.get(
        f"/ops/v1/halls/{CITY_HALL}/appointments", params={"date": "2026-06-16"}, headers=window
    )
    assert day.status_code == 200, day.text
    [seen] = day.json()["appointments"]
    assert seen["id"] == booked.json()["id"] and seen["start"] == "09:00"
    materials = {m["code"]: m for m in seen["declaration"]["materials"]}
    assert materials[photo["code"]]["provided"] is True
    assert materials[photo["code"]]["fileName"]
    assert any(not m["provided"] for m in materials.values())
    # Citizens are not the window.
    assert (
        await client.get(
            f"/ops/v1/halls/{CITY_HALL}/appointments?date=2026-06-16", headers=applicant.headers
        )
    ).status_code in (401, 403)


async def test_one_citizens_bookings_at_once_stop_at_the_limit(
    client: httpx.AsyncClient, outside: Outside, services: Services, db: asyncpg.Connection
) -> None:
    await synced_halls(services)
    me = await citizen(client, outside, "hurried")
    starts = ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30", "13:30", "14:00"]
    answers = await asyncio.gather(*(book(client, me, "2026-06-16", s) for s in starts))
    assert sorted(a.status_code for a in answers) == [201] * 3 + [409] * 5
    for refused in (a for a in answers if a.status_code == 409):
        assert refused.json()["code"] == "APPOINTMENT_LIMIT_REACHED"
    assert await db.fetchval("SELECT sum(booked) FROM appointment_slots") == 3
