"""Service figures come from the daily rollup the job keeps, and agree with a direct count over
the declarations and their timeline: several slices (department, item, channel, a period
across the Spring Festival of the imported 2027 notice, weeks and months), JSON and CSV. The job
run twice (also two at once) adds nothing; entries written after a run, or by a transaction
still open during it, are picked up by the next run."""

from __future__ import annotations

import asyncio
import csv
import io
import math
import random
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from api.composition import Services
from api.figures.service import SETTLE_DAYS
from api.figures.tasks import roll_up_until_caught_up, settle
from core.clock import china_date
from core.workdays import WorkingCalendar
from tests.fixtures.calendars import NOTICE_2027
from tests.fixtures.figures import (
    FIRST,
    LAST,
    NOW,
    _at,
    _case,
    _seed_items,
    _store,
    _store_events,
    _store_settled,
)
from tests.fixtures.identity import bearer, make_staff, staff_login

# item → department, region, online level (FIG-B needs a visit to the hall).
# The job runs "today" after every seeded deadline, so every deadline is swept.
FIGURES = "/ops/v1/figures/service"
PUBLIC = "/api/v1/figures/monthly"


def _nearest_rank(values: list[int], q: float) -> int | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q * len(ordered))) - 1]


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


async def _direct(
    db: asyncpg.Connection,
    calendar: WorkingCalendar,
    first: date,
    last: date,
    **where: str,
) -> dict[str, Any]:
    """The figures counted straight from the declarations and their timeline."""
    conditions = " AND ".join(f"d.{k} = '{v}'" for k, v in where.items()) or "true"
    events = await db.fetch(
        f"""SELECT e.from_state, e.to_state, e.details, d.hall_visit, d.submitted_at,
                   d.accepted_at, d.promised_due, e.at,
                   row_number() OVER (PARTITION BY e.declaration_id, e.to_state = 'needs_supplement'
                                      ORDER BY e.id) AS nth,
                   (e.at AT TIME ZONE 'Asia/Shanghai')::date AS day
              FROM declaration_events e JOIN declarations d ON d.id = e.declaration_id
             WHERE {conditions} AND e.from_state IS DISTINCT FROM e.to_state"""
    )
    moves = [e for e in events if first <= e["day"] <= last]

    def count(to: str, extra: Any = lambda e: True) -> int:
        return sum(1 for e in moves if e["to_state"] == to and extra(e))

    acceptance = [
        calendar.working_days_between(china_date(e["submitted_at"]), e["day"])
        for e in moves
        if e["to_state"] == "accepted"
    ]
    completion = [
        calendar.working_days_between(china_date(e["accepted_at"]), e["day"])
        for e in moves
        if e["to_state"] == "completed"
    ]
    dues = await db.fetch(
        f"""SELECT d.promised_due, d.finished_at FROM declarations d
             WHERE {conditions} AND d.promised_due BETWEEN $1 AND $2""",
        first,
        last,
    )
    overdue = sum(
        1
        for r in dues
        if r["finished_at"] is None or china_date(r["finished_at"]) > r["promised_due"]
    )
    promised = [
        calendar.working_days_between(china_date(e["accepted_at"]), e["promised_due"])
        for e in moves
        if e["to_state"] == "completed"
    ]
    in_time = count("completed", lambda e: e["day"] <= e["promised_due"])
    ratings = await db.fetch(
        f"""SELECT r.level, t.resolved_on_time
              FROM reviews r JOIN declarations d ON d.id = r.declaration_id
              LEFT JOIN review_tickets t ON t.review_id = r.id
             WHERE {conditions} AND r.kind = 'initial' AND NOT r.excluded
               AND (r.rated_at AT TIME ZONE 'Asia/Shanghai')::date BETWEEN $1 AND $2""",
        first,
        last,
    )
    good = sum(1 for r in ratings if r["level"] >= 3)
    bad = sum(1 for r in ratings if r["level"] <= 2)
    rectified = sum(1 for r in ratings if r["level"] <= 2 and r["resolved_on_time"])
    orders = await db.fetch(
        f"""SELECT o.status FROM payment_orders o JOIN fee_notices n ON n.id = o.notice_id
              JOIN declarations d ON d.id = n.declaration_id
             WHERE {conditions} AND NOT o.duplicate
               AND (o.created_at AT TIME ZONE 'Asia/Shanghai')::date BETWEEN $1 AND $2""",
        first,
        last,
    )
    paid = sum(1 for o in orders if o["status"] in ("paid", "refunded"))
    applications = count("submitted", lambda e: e["from_state"] == "draft")
    completed = count("completed")
    online = count("completed", lambda e: not e["hall_visit"])
    supplemented = count("needs_supplement", lambda e: e["nth"] == 1)
    repeat = count("needs_supplement", lambda e: e["nth"] == 2)
    return {
        "applications": applications,
        "accepted": count("accepted"),
        "tolerated": count("accepted", lambda e: "toleratedMissing" in (e["details"] or {})),
        "completed": completed,
        "completedOnline": online,
        "onlineRate": _rate(online, completed),
        "refused": count("refused"),
        "notAccepted": count("not_accepted"),
        "acceptanceMedianDays": _nearest_rank(acceptance, 0.5),
        "acceptanceP90Days": _nearest_rank(acceptance, 0.9),
        "completionMedianDays": _nearest_rank(completion, 0.5),
        "completionP90Days": _nearest_rank(completion, 0.9),
        "completedInTime": in_time,
        "inTimeRate": _rate(in_time, completed),
        "promisedMedianDays": _nearest_rank(promised, 0.5),
        "promisedP90Days": _nearest_rank(promised, 0.9),
        "due": len(dues),
        "overdue": overdue,
        "overdueRate": _rate(overdue, len(dues)),
        "supplementRequests": count("needs_supplement"),
        "supplemented": supplemented,
        "supplementRate": _rate(supplemented, applications),
        "repeatSupplemented": repeat,
        "repeatSupplementRate": _rate(repeat, supplemented),
        "reviews": len(ratings),
        "goodReviews": good,
        "goodRate": _rate(good, len(ratings)),
        "badReviews": bad,
        "badRectifiedInTime": rectified,
        "rectifiedRate": _rate(rectified, bad),
        "paymentOrders": len(orders),
        "paymentsPaid": paid,
        "paymentSuccessRate": _rate(paid, len(orders)),
    }


async def _direct_reach(db: asyncpg.Connection, first: date, last: date) -> list[dict[str, Any]]:
    """Push reach per channel counted straight from the inbox, deliveries and notices."""
    day = "(m.created_at AT TIME ZONE 'Asia/Shanghai')::date BETWEEN $1 AND $2"
    inbox = await db.fetchrow(
        f"SELECT count(*) AS sent, count(read_at) AS read FROM inbox_messages m WHERE {day}",
        first,
        last,
    )
    reach = [
        {
            "channel": "inbox",
            "sent": inbox["sent"],
            "delivered": 0,
            "read": inbox["read"],
            "failed": 0,
            "quotaMisses": 0,
        }
    ]
    deliveries = await db.fetch(
        f"""SELECT d.channel, d.status, coalesce(d.reason, '') AS reason FROM push_deliveries d
              JOIN inbox_messages m ON m.id = d.message_id WHERE {day}""",
        first,
        last,
    )
    misses = await db.fetchval(
        """SELECT coalesce(sum(wechat_quota_misses), 0) FROM notices
            WHERE (approved_at AT TIME ZONE 'Asia/Shanghai')::date BETWEEN $1 AND $2""",
        first,
        last,
    )
    for channel in ("wechat", "app", "sms"):
        mine = [d for d in deliveries if d["channel"] == channel]
        if not mine and not (channel == "wechat" and misses):
            continue
        quota = [d for d in mine if d["reason"] == "no_quota" or d["reason"].startswith("43101")]
        reach.append(
            {
                "channel": channel,
                "sent": sum(1 for d in mine if d["status"] in ("sent", "delivered")),
                "delivered": sum(1 for d in mine if d["status"] == "delivered"),
                "read": 0,
                "failed": sum(
                    1
                    for d in mine
                    if d["status"] == "failed" and not d["reason"].startswith("43101")
                ),
                "quotaMisses": len(quota) + (misses if channel == "wechat" else 0),
            }
        )
    return reach


@dataclass
class Seeded:
    client: httpx.AsyncClient
    headers: dict[str, str]
    calendar: WorkingCalendar
    citizen: uuid.UUID
    db: asyncpg.Connection


@pytest.fixture
async def seeded(client: httpx.AsyncClient, services: Services, db: asyncpg.Connection) -> Seeded:
    supervisor = bearer(
        await staff_login(client, await make_staff(services, "sup-fig", "supervisor"))
    )
    imported = await client.post(
        "/ops/v1/calendar/notices", json={"notice": NOTICE_2027}, headers=supervisor
    )
    assert imported.status_code == 200, imported.text
    calendar = await services.calendars.current()
    # Spring Festival 5-13 February is off, Saturday 20 February is worked (the notice's).
    assert not calendar.is_working_day(date(2027, 2, 8))
    assert calendar.is_working_day(date(2027, 2, 20))
    citizen = await _seed_items(db)
    rng = random.Random(19)
    cases = [
        _case(
            rng, calendar, FIRST + timedelta(days=rng.randrange((date(2027, 2, 24) - FIRST).days))
        )
        for _ in range(160)
    ]
    await _store(db, citizen, cases)
    operator = bearer(await staff_login(client, await make_staff(services, "op-fig", "operator")))
    await _store_settled(db, rng, citizen, cases)
    return Seeded(client, operator, calendar, citizen, db)


async def _figures(seeded: Seeded, **params: str) -> dict[str, Any]:
    answer = await seeded.client.get(FIGURES, params=params, headers=seeded.headers)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _without_key(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k != "key"}


async def test_figures_agree_with_a_direct_count(
    seeded: Seeded, services: Services, db: asyncpg.Connection
) -> None:
    assert await roll_up_until_caught_up(services.figures, now=NOW) > 0
    await settle(services.figures, now=NOW)
    period = {"from": FIRST.isoformat(), "to": LAST.isoformat()}
    calendar = seeded.calendar

    everything = await _figures(seeded, **period, by="department")
    direct = await _direct(db, calendar, FIRST, LAST)
    assert _without_key(everything["total"]) == direct
    # The data exercises every figure.
    assert all(direct[k] for k in ("tolerated", "refused", "notAccepted", "repeatSupplemented"))
    assert 0 < direct["completedOnline"] < direct["completed"] and direct["overdue"]
    assert 0 < direct["completedInTime"] < direct["completed"]
    assert 0 < direct["badRectifiedInTime"] < direct["badReviews"] < direct["reviews"]
    assert 0 < direct["paymentsPaid"] < direct["paymentOrders"]
    # Push reach per channel, from its own rollup.
    assert everything["pushReach"] == await _direct_reach(db, FIRST, LAST)
    assert {r["channel"] for r in everything["pushReach"]} == {"inbox", "wechat", "app", "sms"}
    assert [r["key"] for r in everything["rows"]] == ["D1", "D2"]
    for row in everything["rows"]:
        assert _without_key(row) == await _direct(
            db, calendar, FIRST, LAST, department_code=row["key"]
        )

    # One department, by item.
    d1 = await _figures(seeded, **period, by="item", department="D1")
    assert [r["key"] for r in d1["rows"]] == ["FIG-A", "FIG-B"]
    assert _without_key(d1["total"]) == await _direct(
        db, calendar, FIRST, LAST, department_code="D1"
    )
    for row in d1["rows"]:
        assert _without_key(row) == await _direct(
            db, calendar, FIRST, LAST, department_code="D1", item_code=row["key"]
        )

    # One item over the Spring Festival (4-15 February), by day: the holiday's days count no
    # working day, so durations are those of the notice, not of the weekday rule.
    first, last = date(2027, 2, 4), date(2027, 2, 15)
    festival = await _figures(
        seeded, **{"from": first.isoformat(), "to": last.isoformat()}, by="day", item="FIG-C"
    )
    assert _without_key(festival["total"]) == await _direct(
        db, calendar, first, last, item_code="FIG-C"
    )
    for row in festival["rows"]:
        day = date.fromisoformat(row["key"])
        assert _without_key(row) == await _direct(db, calendar, day, day, item_code="FIG-C")
    assert festival["pushReach"] == await _direct_reach(db, first, last)

    # A channel; a region.
    app = await _figures(seeded, **period, by="channel", channel="app")
    assert [r["key"] for r in app["rows"]] == ["app"]
    assert _without_key(app["total"]) == await _direct(db, calendar, FIRST, LAST, channel="app")
    region = await _figures(seeded, **period, by="region", region="620102")
    assert _without_key(region["total"]) == await _direct(
        db, calendar, FIRST, LAST, region_code="620102"
    )

    # Weeks from their Monday, months from their first day; the same totals.
    weeks = await _figures(seeded, **period, by="week")
    assert all(date.fromisoformat(r["key"]).weekday() == 0 for r in weeks["rows"])
    assert weeks["total"] == everything["total"]
    monday = date(2027, 2, 15)
    week = next(r for r in weeks["rows"] if r["key"] == monday.isoformat())
    assert _without_key(week) == await _direct(db, calendar, monday, monday + timedelta(days=6))
    months = await _figures(seeded, **period, by="month")
    assert [r["key"] for r in months["rows"]] == ["2027-01-01", "2027-02-01", "2027-03-01"]
    february = await _direct(db, calendar, date(2027, 2, 1), date(2027, 2, 28))
    assert _without_key(months["rows"][1]) == february

    # CSV, by Accept or by format=csv: the same figures.
    for headers, params in (({"Accept": "text/csv"}, {}), ({}, {"format": "csv"})):
        answer = await seeded.client.get(
            FIGURES,
            params={**period, "by": "department", **params},
            headers=seeded.headers | headers,
        )
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(answer.text)))
        assert [r["key"] for r in rows] == ["D1", "D2", "total"]
        assert int(rows[-1]["applications"]) == direct["applications"]
        assert rows[-1]["onlineRate"] == str(direct["onlineRate"])


async def test_figures_are_for_staff_only(seeded: Seeded) -> None:
    period = {"from": "2027-02-01", "to": "2027-02-28"}
    assert (await seeded.client.get(FIGURES, params=period)).status_code == 401
    bad = await seeded.client.get(
        FIGURES, params={"from": "2027-03-01", "to": "2027-02-01"}, headers=seeded.headers
    )
    assert bad.status_code == 400 and bad.json()["code"] == "INVALID_PARAMETER"


async def _rollup(db: asyncpg.Connection) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in await db.fetch("SELECT * FROM figure_days ORDER BY 1, 2, 3, 4, 5")]


async def test_the_job_adds_each_entry_once(
    seeded: Seeded, services: Services, db: asyncpg.Connection, database_url: str
) -> None:
    figures = services.figures

    async def run() -> None:
        await roll_up_until_caught_up(figures, now=NOW)

    # Two jobs at once take turns on the progress row, batch by batch: nothing is added twice. The
    # settled figures likewise: two settling runs at once replace, never add.
    await asyncio.gather(run(), run(), settle(figures, now=NOW), settle(figures, now=NOW))
    once = await _rollup(db)
    assert once
    await settle(figures, now=NOW)
    assert await _rollup(db) == once
    assert await roll_up_until_caught_up(figures, now=NOW) == 0
    assert await _rollup(db) == once

    # An entry written by a transaction that is still open while the job runs (its id below
    # entries committed meanwhile) is not skipped: the next run takes it.
    late, early = uuid.uuid4(), uuid.uuid4()
    day = date(2027, 2, 22)
    for case in (late, early):
        await db.execute(
            """INSERT INTO declarations (id, citizen_id, item_code, item_name, state, submitted_at,
                   department_code, region_code, channel)
               VALUES ($1, $2, 'FIG-A', 'FIG-A', 'submitted', $3, 'D1', '620102', 'app')""",
            case,
            seeded.citizen,
            _at(day, 10),
        )
    # The committed entry's transaction began before the open one (a lower transaction id) but
    # wrote after it (a higher entry id): a watermark on entry ids would pass the open one by.
    slow = await asyncpg.connect(database_url)
    try:
        writer = db.transaction()
        await writer.start()
        await db.fetchval("SELECT pg_current_xact_id()")  # the writer's transaction id, first
        transaction = slow.transaction()
        await transaction.start()
        await _store_events(slow, late, [("draft", "submitted", _at(day, 10), None)])
        await _store_events(db, early, [("draft", "submitted", _at(day, 11), None)])
        await writer.commit()
        await roll_up_until_caught_up(figures, now=NOW)
        await transaction.commit()
    finally:
        await slow.close()
    one_day = {"from": day.isoformat(), "to": day.isoformat()}
    seen = await _figures(seeded, **one_day, by="channel", channel="app")
    direct = await _direct(db, seeded.calendar, day, day, channel="app")
    assert seen["total"]["applications"] == direct["applications"] - 1  # the open one waits
    await roll_up_until_caught_up(figures, now=NOW)
    seen = await _figures(seeded, **one_day, by="channel", channel="app")
    assert _without_key(seen["total"]) == direct
    assert await roll_up_until_caught_up(figures, now=NOW) == 0


async def test_settled_figures_are_computed_again_for_recent_days_only(
    seeded: Seeded, services: Services, db: asyncpg.Connection
) -> None:
    """A rating given late for a recent day is counted by the next settling run; days older
    than the settling window are frozen once settled."""
    figures = services.figures
    await roll_up_until_caught_up(figures, now=NOW)
    await settle(figures, now=NOW)  # the first run takes all history, then freezes the old days
    recent = NOW.date() - timedelta(days=SETTLE_DAYS - 2)
    frozen = NOW.date() - timedelta(days=SETTLE_DAYS + 5)
    one_day = {day: {"from": day.isoformat(), "to": day.isoformat()} for day in (recent, frozen)}
    before = {day: await _figures(seeded, **one_day[day]) for day in (recent, frozen)}
    case = uuid.uuid4()
    await db.execute(
        """INSERT INTO declarations (id, citizen_id, item_code, item_name, state, submitted_at,
               department_code, region_code, channel)
           VALUES ($1, $2, 'FIG-A', 'FIG-A', 'submitted', $3, 'D1', '620102', 'app')""",
        case,
        seeded.citizen,
        _at(frozen, 9),
    )
    for day, channel in ((recent, "wechat"), (frozen, "app")):
        await db.execute(
            """INSERT INTO reviews (id, declaration_id, citizen_id, item_code, item_name,
                   department_code, department_name, channel, kind, level, rated_at)
               VALUES ($1, $2, $3, 'FIG-A', 'FIG-A', 'D1', 'D1', $4, 'initial', 4, $5)""",
            uuid.uuid4(),
            case,
            seeded.citizen,
            channel,
            _at(day, 10),
        )
    await settle(figures, now=NOW)
    after = {day: await _figures(seeded, **one_day[day]) for day in (recent, frozen)}
    assert after[recent]["total"]["reviews"] == before[recent]["total"]["reviews"] + 1
    assert after[frozen]["total"]["reviews"] == before[frozen]["total"]["reviews"]


async def test_public_monthly_figures_agree_and_are_cacheable(
    seeded: Seeded, services: Services, db: asyncpg.Connection
) -> None:
    """Anonymous monthly figures (open data): the province's applications, online rate,
    satisfaction and average working days agree with a direct count; JSON and CSV with
    Cache-Control and an ETag answered 304."""
    await roll_up_until_caught_up(services.figures, now=NOW)
    await settle(services.figures, now=NOW)
    client = seeded.client
    answer = await client.get(PUBLIC, params={"from": "2027-01", "to": "2027-04"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "public, max-age=300"
    body = answer.json()
    assert (body["from"], body["to"]) == ("2027-01", "2027-04")
    assert [m["month"] for m in body["months"]] == ["2027-01", "2027-02", "2027-03", "2027-04"]
    for month, first, last in (
        (body["months"][0], date(2027, 1, 1), date(2027, 1, 31)),
        (body["months"][1], date(2027, 2, 1), date(2027, 2, 28)),
    ):
        direct = await _direct(seeded.db, seeded.calendar, first, last)
        acceptance = await _durations(seeded, first, last, "accepted")
        completion = await _durations(seeded, first, last, "completed")
        assert month == {
            "month": first.strftime("%Y-%m"),
            "applications": direct["applications"],
            "completed": direct["completed"],
            "onlineRate": direct["onlineRate"],
            "reviews": direct["reviews"],
            "satisfaction": direct["goodRate"],
            "averageAcceptanceDays": round(sum(acceptance) / len(acceptance), 2),
            "averageCompletionDays": round(sum(completion) / len(completion), 2),
        }
    assert body["months"][3] == {
        "month": "2027-04",
        "applications": 0,
        "completed": 0,
        "onlineRate": None,
        "reviews": 0,
        "satisfaction": None,
        "averageAcceptanceDays": None,
        "averageCompletionDays": None,
    }
    again = await client.get(
        PUBLIC,
        params={"from": "2027-01", "to": "2027-04"},
        headers={"If-None-Match": answer.headers["etag"]},
    )
    assert again.status_code == 304 and again.headers["etag"] == answer.headers["etag"]
    as_csv = await client.get(PUBLIC, params={"from": "2027-01", "to": "2027-04", "format": "csv"})
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [r["month"] for r in rows] == ["2027-01", "2027-02", "2027-03", "2027-04"]
    assert int(rows[1]["applications"]) == body["months"][1]["applications"]
    assert rows[3]["onlineRate"] == ""
    assert as_csv.headers["etag"] != answer.headers["etag"]
    # Bad months are refused with a problem, never a 500.
    for month in ("2027-13", "0000-01", "9999-12", "2027-1"):
        bad = await client.get(PUBLIC, params={"from": month})
        assert bad.status_code == 400, month
    reversed_ = await client.get(PUBLIC, params={"from": "2027-03", "to": "2027-01"})
    assert reversed_.status_code == 400 and reversed_.json()["code"] == "INVALID_PARAMETER"


async def _durations(seeded: Seeded, first: date, last: date, to: str) -> list[int]:
    """Working days of the acceptances (from submission) or completions (from acceptance) of
    the period's days, counted straight from the timeline."""
    since = "submitted_at" if to == "accepted" else "accepted_at"
    rows = await seeded.db.fetch(
        f"""SELECT d.{since} AS since, (e.at AT TIME ZONE 'Asia/Shanghai')::date AS day
              FROM declaration_events e JOIN declarations d ON d.id = e.declaration_id
             WHERE e.to_state = $1 AND e.from_state <> e.to_state
               AND (e.at AT TIME ZONE 'Asia/Shanghai')::date BETWEEN $2 AND $3""",
        to,
        first,
        last,
    )
    return [seeded.calendar.working_days_between(china_date(r["since"]), r["day"]) for r in rows]


async def test_a_batch_ends_by_transaction_id_order_across_a_power_of_ten(
    seeded: Seeded, services: Services, db: asyncpg.Connection
) -> None:
    """A batch of ``limit`` entries ends after the transaction of its ``limit``-th entry in
    transaction-id order, also where ids gain a digit (999 → 1000: ordered as text, 1000 would
    come first and a batch would end at the wrong transaction)."""
    case = uuid.uuid4()
    await db.execute(
        """INSERT INTO declarations (id, citizen_id, item_code, item_name, state, submitted_at,
               department_code, region_code, channel)
           VALUES ($1, $2, 'FIG-A', 'FIG-A', 'submitted', $3, 'D1', '620102', 'app')""",
        case,
        seeded.citizen,
        _at(date(2027, 2, 22), 10),
    )
    base = 10**12  # far above this database's own transactions
    ids = [base - 2, base - 1, base, base + 1]  # 999…998, 999…999, 1000…000, 1000…001
    for txid in ids:
        await db.execute(
            """INSERT INTO declaration_events (declaration_id, from_state, to_state, actor, txid)
               VALUES ($1, 'draft', 'draft', 'citizen', $2::text::xid8)""",
            case,
            str(txid),
        )
    declarations = services.declarations
    async with services.infra.pool.acquire() as conn:
        # Two entries from base - 2: the batch ends at the third one's transaction, base.
        assert await declarations.figure_batch_end(conn, base - 2, base + 2, 2) == base
        assert await declarations.figure_batch_end(conn, base - 1, base + 2, 2) == base + 1
        assert await declarations.figure_batch_end(conn, base, base + 2, 5) == base + 2
