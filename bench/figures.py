"""Service figures at province scale: the rollup job's cost per 100k new timeline entries, and
the dashboard's answer for one department and one month, each against a raw ``SELECT
count(*)`` of the same rows in the same run.

    uv run python bench/figures.py            # 10,000,000 declarations (long: COPY + rollup)
    HANDHELD_BENCH_FIGURES_N=200000 uv run python bench/figures.py

Declarations and their timelines are loaded by COPY in transactions of about 100k entries
(as they would have been written over a year), across 1,000 items of 40 departments in 2025;
the next chunk is made in a thread while PostgreSQL takes the last. The rollup then catches up
batch by batch as the job does (``FiguresService.roll_up``: about 100k entries a batch, staged
and merged in SQL, plus up to 14 days of deadlines swept until caught up); each batch's time is
compared with counting that batch's entries (``figures_rollup``, reported, no target; the first
batch is left out of the median). The dashboard is ``GET /ops/v1/figures/service`` for one
department, one month, by item, as staff call it (in process, a real staff session); its
baseline counts the same department's timeline entries of that month straight from the tables
(``figures_dashboard``, target <= 0.1: ten times faster than counting). Seeding and rollup times
are printed.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pyotp
from litestar.testing import AsyncTestClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api.app import create_app
from api.composition import open_services
from bench.harness import stack
from core.clock import CHINA_TZ
from core.settings import load_settings

N = int(os.environ.get("HANDHELD_BENCH_FIGURES_N", "10000000"))
DEPARTMENTS, ITEMS_PER_DEPARTMENT, REGIONS = 40, 25, 100
YEAR = 2025
CHUNK_DECLARATIONS = 20_000  # about 100k timeline entries a transaction
SLICE_DEPARTMENT = "D07"
SLICE_FROM, SLICE_TO = date(YEAR, 6, 1), date(YEAR, 6, 30)
NOW = datetime(YEAR + 1, 1, 20, tzinfo=CHINA_TZ)
DECLARATION_COLUMNS = (
    "id",
    "citizen_id",
    "item_code",
    "item_name",
    "state",
    "submitted_at",
    "accepted_at",
    "finished_at",
    "promised_due",
    "department_code",
    "region_code",
    "channel",
    "hall_visit",
)
EVENT_COLUMNS = ("declaration_id", "from_state", "to_state", "actor", "at", "details")


def _items() -> list[tuple[str, str, str, bool]]:
    rng = random.Random(7)
    return [
        (f"I{d:02d}{i:02d}", f"D{d:02d}", f"62{rng.randrange(REGIONS):04d}", rng.random() < 0.3)
        for d in range(DEPARTMENTS)
        for i in range(ITEMS_PER_DEPARTMENT)
    ]


# Every minute of the year and a month after, once: a chunk's times are list lookups (the
# seeding of 10 M declarations is bounded by Python making its rows).
_START = datetime(YEAR, 1, 1, tzinfo=CHINA_TZ)
_MINUTES = 365 * 24 * 60
_STAMPS: list[datetime] = []


def _stamps() -> list[datetime]:
    if not _STAMPS:
        minute = timedelta(minutes=1)
        t = _START
        for _ in range(_MINUTES + 40 * 24 * 60):
            _STAMPS.append(t)
            t += minute
    return _STAMPS


def _chunk(
    seed: int,
    items: list[tuple[str, str, str, bool]],
    citizens: list[uuid.UUID],
    count: int,
    window: tuple[float, float],
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Declarations submitted in ``window`` (fractions of the year: chunks come in time order,
    as the timeline is written), most accepted and completed within days."""
    rng = random.Random(seed)
    stamps = _stamps()
    random_ = rng.random
    randrange = rng.randrange
    bits = rng.getrandbits
    low = int(window[0] * _MINUTES)
    high = max(int(window[1] * _MINUTES), low + 1)
    declarations, events = [], []
    add = events.append
    hour, week = 60, 7 * 24 * 60
    n_items, n_citizens = len(items), len(citizens)
    for _ in range(count):
        did = uuid.UUID(int=bits(128))
        item, department, region, hall = items[randrange(n_items)]
        t = randrange(low, high) + hour
        add((did, None, "draft", "citizen", stamps[t - hour], None))
        add((did, "draft", "submitted", "citizen", stamps[t], None))
        submitted = stamps[t]
        if random_() < 0.15:
            t += 26 * hour
            add((did, "submitted", "needs_supplement", "platform", stamps[t], None))
            t += 20 * hour
            add((did, "needs_supplement", "submitted", "citizen", stamps[t], None))
        state, accepted, finished, due = "submitted", None, None, None
        fate = random_()
        if fate < 0.9:
            t += randrange(2, 72) * hour
            tolerated = '{"toleratedMissing": ["M2"]}' if random_() < 0.05 else None
            accepted = stamps[t]
            add((did, "submitted", "accepted", "platform", accepted, tolerated))
            state = "accepted"
            due = stamps[t + week].date()
            if fate < 0.8:
                t += randrange(4, 240) * hour
                state = "completed" if fate < 0.75 else "refused"
                finished = stamps[t]
                add((did, "accepted", state, "platform", finished, None))
        declarations.append(
            (
                did,
                citizens[randrange(n_citizens)],
                item,
                item,
                state,
                submitted,
                accepted,
                finished,
                due,
                department,
                region,
                "miniprogram" if random_() < 0.6 else "app",
                hall,
            )
        )
    return declarations, events


async def _seed(url: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        items = _items()
        await conn.executemany(
            """INSERT INTO catalog_items (code, name, item_type, department_code,
                   department_name, region_code, region_name, case_type, online_level, charged,
                   issues_licence, is_bundle, status, platform_version, platform_updated_at,
                   guide, search_text, name_initials)
               VALUES ($1, $1, '行政许可', $2, $2, $3, $3, 'promised', $4, false, false, false,
                   'active', 1, now(), '{}', $1, 'x')""",
            [(c, d, r, "in_hall" if hall else "full_online") for c, d, r, hall in items],
        )
        citizens = [uuid.uuid4() for _ in range(1000)]
        await conn.copy_records_to_table(
            "citizens", records=[(c,) for c in citizens], columns=["id"]
        )
        _stamps()
        total_events, done, started = 0, 0, time.perf_counter()

        def make(first: int) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
            count = min(CHUNK_DECLARATIONS, N - first)
            return _chunk(19 + first, items, citizens, count, (first / N, (first + count) / N))

        # The next chunk is made (in a thread) while PostgreSQL takes the last one.
        making = asyncio.ensure_future(asyncio.to_thread(make, 0))
        while done < N:
            declarations, events = await making
            count = len(declarations)
            if done + count < N:
                making = asyncio.ensure_future(asyncio.to_thread(make, done + count))
            async with conn.transaction():
                await conn.copy_records_to_table(
                    "declarations", records=declarations, columns=DECLARATION_COLUMNS
                )
                await conn.copy_records_to_table(
                    "declaration_events", records=events, columns=EVENT_COLUMNS
                )
            done += count
            total_events += len(events)
            if done % 1_000_000 < CHUNK_DECLARATIONS:
                print(
                    f"  seeded {done:,} declarations ({time.perf_counter() - started:,.0f} s)",
                    flush=True,
                )
        await conn.execute("ANALYZE")
        return total_events
    finally:
        await conn.close()


async def _roll_up(settings: Any, url: str) -> tuple[float, float, float]:
    """Batch by batch to the end; (median s per 100k entries, median ratio to counting them,
    first batch s)."""
    raw = await asyncpg.connect(url)
    per_100k, ratios, first = [], [], 0.0
    try:
        async with open_services(settings) as services:
            figures = services.figures
            while True:
                lo = int(await raw.fetchval("SELECT events_below::text FROM figure_progress"))
                started = time.perf_counter()
                async with figures.pool.acquire() as conn, conn.transaction():
                    report = await figures.roll_up(conn, now=NOW)
                took = time.perf_counter() - started
                hi = int(await raw.fetchval("SELECT events_below::text FROM figure_progress"))
                started = time.perf_counter()
                entries = await raw.fetchval(
                    """SELECT count(*) FROM declaration_events
                        WHERE txid >= $1::text::xid8 AND txid < $2::text::xid8""",
                    str(lo),
                    str(hi),
                )
                counting = time.perf_counter() - started
                if not first:
                    first = took
                elif entries:
                    per_100k.append(took * 100_000 / entries)
                    ratios.append(took / counting)
                if not report.more:
                    break
    finally:
        await raw.close()
    if not per_100k:  # a single batch: nothing to leave out
        return first, first / max(counting, 1e-9), first
    return statistics.median(per_100k), statistics.median(ratios), first


async def _dashboard(settings: Any, url: str) -> tuple[float, float]:
    """Median answer time of the dashboard's slice, and of counting the same slice raw."""
    params = {
        "from": SLICE_FROM.isoformat(),
        "to": SLICE_TO.isoformat(),
        "by": "item",
        "department": SLICE_DEPARTMENT,
    }
    async with (
        open_services(settings) as services,
        services.infra.pool.acquire() as conn,
        conn.transaction(),
    ):
        _, uri = await services.identity.create_staff(
            conn,
            username="bench",
            display_name="bench",
            password="Bench-figures-2026!",
            role="operator",
        )
    totp = pyotp.parse_uri(uri)
    async with AsyncTestClient(create_app(settings, configure_logs=False)) as client:
        first = await client.post(
            "/ops/v1/auth/login", json={"username": "bench", "password": "Bench-figures-2026!"}
        )
        second = await client.post(
            "/ops/v1/auth/totp", json={"mfaToken": first.json()["mfaToken"], "code": totp.now()}
        )
        headers = {"Authorization": f"Bearer {second.json()['sessionToken']}"}
        answers = []
        for _ in range(21):
            started = time.perf_counter()
            answer = await client.get("/ops/v1/figures/service", params=params, headers=headers)
            answers.append(time.perf_counter() - started)
            assert answer.status_code == 200, answer.text
        applications = answer.json()["total"]["applications"]
    begin = datetime.combine(SLICE_FROM, datetime.min.time(), CHINA_TZ).astimezone(UTC)
    end = begin + timedelta(days=(SLICE_TO - SLICE_FROM).days + 1)
    raw = await asyncpg.connect(url)
    try:
        counts = []
        for _ in range(3):
            started = time.perf_counter()
            rows = await raw.fetchval(
                """SELECT count(*) FROM declaration_events e
                     JOIN declarations d ON d.id = e.declaration_id
                    WHERE d.department_code = $1 AND e.at >= $2 AND e.at < $3""",
                SLICE_DEPARTMENT,
                begin,
                end,
            )
            counts.append(time.perf_counter() - started)
    finally:
        await raw.close()
    print(f"  slice: {rows:,} timeline entries, {applications:,} applications")
    return statistics.median(answers), statistics.median(counts)


def main() -> None:
    with stack() as env_stack:
        settings = load_settings(env_stack.env)
        url = env_stack.env["HANDHELD_DATABASE_URL"]
        started = time.perf_counter()
        events = asyncio.run(_seed(url))
        print(
            f"  seeded {N:,} declarations, {events:,} timeline entries by COPY "
            f"in {time.perf_counter() - started:,.0f} s"
        )
        started = time.perf_counter()
        per_100k, ratio, first = asyncio.run(_roll_up(settings, url))
        print(
            f"  rollup: {time.perf_counter() - started:,.1f} s in all; first batch "
            f"{first:.2f} s; {per_100k:.3f} s per 100k entries"
        )
        print(f"RESULT figures_rollup ratio={ratio:.2f} target<=report-only")
        answer, counting = asyncio.run(_dashboard(settings, url))
        print(f"  dashboard {answer * 1000:.1f} ms vs raw count {counting * 1000:.1f} ms")
        print(f"RESULT figures_dashboard ratio={answer / counting:.3f} target<=0.1")


if __name__ == "__main__":
    main()
