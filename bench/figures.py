"""Service figures at province scale: the rollup job's cost per 100k new timeline entries, and
the dashboard's answer for one department and one month, each against a raw ``SELECT
count(*)`` of the same rows in the same run.

    uv run python bench/figures.py            # 10,000,000 declarations (seed + rollup)
    HANDHELD_BENCH_FIGURES_N=200000 uv run python bench/figures.py

Declarations and their timelines are made inside PostgreSQL (``INSERT ... SELECT`` over
``generate_series``, deterministic draws from ``hashint8extended``) in transactions of about
100k entries, in time order (as they would have been written over a year), across 1,000 items
of 40 departments in 2025; the load runs as a restore does (foreign-key triggers off, secondary
indexes built after). The rollup then catches up
batch by batch as the job does (``FiguresService.roll_up``: about 1M entries a batch, staged
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
from core.pii import PiiCipher
from core.settings import load_settings

N = int(os.environ.get("HANDHELD_BENCH_FIGURES_N", "10000000"))
DEPARTMENTS, ITEMS_PER_DEPARTMENT, REGIONS = 40, 25, 100
YEAR = 2025
CHUNK_DECLARATIONS = 25_000  # about 100k timeline entries a transaction
SLICE_DEPARTMENT = "D07"
SLICE_FROM, SLICE_TO = date(YEAR, 6, 1), date(YEAR, 6, 30)
NOW = datetime(YEAR + 1, 1, 20, tzinfo=CHINA_TZ)


def _items() -> list[tuple[str, str, str, bool]]:
    rng = random.Random(7)
    return [
        (f"I{d:02d}{i:02d}", f"D{d:02d}", f"62{rng.randrange(REGIONS):04d}", rng.random() < 0.3)
        for d in range(DEPARTMENTS)
        for i in range(ITEMS_PER_DEPARTMENT)
    ]


_START = datetime(YEAR, 1, 1, tzinfo=CHINA_TZ)
_MINUTES = 365 * 24 * 60


def _draw(k: int, modulo: int) -> str:
    """A deterministic pseudo-random integer in [0, modulo) of the row ``g`` (draw ``k``)."""
    return f"((hashint8extended(g, {k}) & 2147483647) % {modulo})"


def _chance(k: int) -> str:
    """A deterministic pseudo-random fraction in [0, 1) of the row ``g`` (draw ``k``)."""
    return f"((hashint8extended(g, {k}) & 1048575) / 1048576.0)"


# Declarations $1 <= g < $2, submitted in the minutes [$3, $3 + $4) of the year (chunks come in
# time order, as the timeline is written): 15 % asked to supplement (26 h later, back 20 h
# after), 90 % accepted within 2-72 h (5 % of them with a material tolerated missing), promised
# a week after; 75 % completed and 5 % refused within 4-240 h; the rest still open. The
# timeline's times fall on every day of the year, the calendar's holidays included.
_SEED_BASE = f"""
    CREATE TEMPORARY TABLE seed_base ON COMMIT DROP AS
    SELECT md5('declaration ' || g)::uuid AS id, ($5::uuid[])[1 + r.citizen] AS citizen_id,
           i.code, i.department_code, i.region_code, i.hall, r.supplement, r.tolerated,
           r.channel, r.submitted,
           CASE WHEN r.fate < 0.9 THEN r.accepted END AS accepted_at,
           CASE WHEN r.fate < 0.8 THEN r.accepted + r.finish_hours * interval '1 hour'
           END AS finished_at,
           CASE WHEN r.fate < 0.9
                THEN ((r.accepted + interval '7 days') AT TIME ZONE 'Asia/Shanghai')::date
           END AS promised_due,
           CASE WHEN r.fate < 0.75 THEN 'completed' WHEN r.fate < 0.8 THEN 'refused'
                WHEN r.fate < 0.9 THEN 'accepted' ELSE 'submitted' END AS state
      FROM (SELECT g, {_draw(1, ITEMS_PER_DEPARTMENT * DEPARTMENTS)} AS item,
                   {_draw(9, 1000)} AS citizen,
                   {_chance(3)} < 0.15 AS supplement, {_chance(4)} AS fate,
                   {_chance(7)} < 0.05 AS tolerated,
                   CASE WHEN {_chance(8)} < 0.6 THEN 'miniprogram' ELSE 'app' END AS channel,
                   4 + {_draw(6, 236)} AS finish_hours,
                   s.submitted,
                   s.submitted + (CASE WHEN {_chance(3)} < 0.15 THEN 46 ELSE 0 END
                                  + 2 + {_draw(5, 70)}) * interval '1 hour' AS accepted
              FROM generate_series($1::bigint, $2::bigint - 1) AS g
             CROSS JOIN LATERAL (
                 SELECT $6::timestamptz
                        + ($3::bigint + {_draw(2, "$4::bigint")} + 60) * interval '1 minute'
                        AS submitted) AS s) AS r
      JOIN seed_items i ON i.n = r.item"""
_SEED_DECLARATIONS = """
    INSERT INTO declarations (id, citizen_id, item_code, item_name, state, submitted_at,
                              accepted_at, finished_at, promised_due, department_code,
                              region_code, channel, hall_visit)
    SELECT id, citizen_id, code, code, state, submitted, accepted_at, finished_at, promised_due,
           department_code, region_code, channel, hall
      FROM seed_base"""
_SEED_EVENTS = """
    INSERT INTO declaration_events (declaration_id, from_state, to_state, actor, at, details)
    SELECT b.id, e.from_state, e.to_state, e.actor, e.at, e.details
      FROM seed_base b
     CROSS JOIN LATERAL (VALUES
         (1, NULL, 'draft', 'citizen', b.submitted - interval '1 hour', NULL::jsonb),
         (2, 'draft', 'submitted', 'citizen', b.submitted, NULL),
         (3, 'submitted', 'needs_supplement', 'platform', b.submitted + interval '26 hours',
          NULL),
         (4, 'needs_supplement', 'submitted', 'citizen', b.submitted + interval '46 hours',
          NULL),
         (5, 'submitted', 'accepted', 'platform', b.accepted_at,
          CASE WHEN b.tolerated THEN '{"toleratedMissing": ["M2"]}'::jsonb END),
         (6, 'accepted', b.state, 'platform', b.finished_at, NULL)
     ) AS e (n, from_state, to_state, actor, at, details)
     WHERE e.n <= 2 OR (e.n <= 4 AND b.supplement) OR (e.n >= 5 AND e.at IS NOT NULL)"""


async def _seed(settings: Any, url: str) -> int:
    """Seeds in PostgreSQL: each chunk is one transaction of INSERT ... SELECT over
    generate_series (about 100k timeline entries, as they would have been written over a
    year); only the catalogue, the citizens and their one ciphertext come from Python."""
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
        # Citizens' personal fields hold a real ciphertext (one, made once: the bench measures
        # the figures, not SM4).
        pii = PiiCipher.from_settings(
            settings.pii.keys.reveal(),
            settings.pii.current_key_id,
            settings.pii.lookup_key.reveal(),
        )
        name = pii.encrypt("张三", field="citizen.real_name")
        phone = pii.encrypt("13800000000", field="citizen.phone")
        phone_hash = pii.lookup_hash("13800000000", field="citizen.phone")
        citizens = [uuid.UUID(int=random.Random(11 + n).getrandbits(128)) for n in range(1000)]
        await conn.copy_records_to_table(
            "citizens",
            records=[(c, name, phone, phone_hash) for c in citizens],
            columns=["id", "real_name_enc", "phone_enc", "phone_hash"],
        )
        await conn.execute(
            """CREATE TEMPORARY TABLE seed_items AS
               SELECT (row_number() OVER (ORDER BY code) - 1)::integer AS n, code,
                      department_code, region_code, online_level <> 'full_online' AS hall
                 FROM catalog_items"""
        )
        await conn.execute("CREATE UNIQUE INDEX ON seed_items (n)")
        await conn.execute("ANALYZE seed_items")
        # A bulk load as a restore does it: the rows are consistent by construction, so the
        # foreign keys' per-row triggers are off for this session (replica role), and the
        # secondary indexes of the two big tables are built once at the end instead of row by
        # row (their definitions are read from the catalogue and replayed as they were).
        await conn.execute("SET session_replication_role = replica")
        indexes = await conn.fetch(
            """SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS ddl
                 FROM pg_index i
                WHERE i.indrelid IN ('declarations'::regclass, 'declaration_events'::regclass)
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)"""
        )
        for index in indexes:
            await conn.execute(f"DROP INDEX {index['name']}")
        done, started = 0, time.perf_counter()
        while done < N:
            count = min(CHUNK_DECLARATIONS, N - done)
            low = done * _MINUTES // N
            high = max((done + count) * _MINUTES // N, low + 1)
            async with conn.transaction():
                await conn.execute(
                    _SEED_BASE, done, done + count, low, high - low, citizens, _START
                )
                await conn.execute(_SEED_DECLARATIONS)
                await conn.execute(_SEED_EVENTS)
            done += count
            if done % 1_000_000 < CHUNK_DECLARATIONS:
                print(
                    f"  seeded {done:,} declarations ({time.perf_counter() - started:,.0f} s)",
                    flush=True,
                )
        await conn.execute("RESET session_replication_role")
        await conn.execute("SET maintenance_work_mem = '512MB'")
        for index in indexes:
            await conn.execute(index["ddl"])
        print(f"  indexes built ({time.perf_counter() - started:,.0f} s)", flush=True)
        await conn.execute("ANALYZE")
        total_events: int = await conn.fetchval("SELECT count(*) FROM declaration_events")
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
                if entries and len(per_100k) % 5 == 0:
                    print(f"  rollup batch: {entries:,} entries in {took:.1f} s", flush=True)
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
        events = asyncio.run(_seed(settings, url))
        print(
            f"  seeded {N:,} declarations, {events:,} timeline entries in SQL "
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
