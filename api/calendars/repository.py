"""All SQL of the working-day calendar (migration 0018)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

import msgspec

from core.db import Connection, many, one

# The lock ``calendar_version_for_deadline()`` takes shared (migration 0018).
_DEADLINE_LOCK = 7_240_301_018


# Well under PostgreSQL's deadlock_timeout (1 s), so the recompute gives way first.
RECOMPUTE_LOCK_WAIT = "300ms"


async def version(conn: Connection) -> int:
    return int(await conn.fetchval("SELECT version FROM calendar_state"))


async def version_for_deadline(conn: Connection) -> int:
    """The version, under the shared lock held until the caller's transaction ends."""
    return int(await conn.fetchval("SELECT calendar_version_for_deadline()"))


async def lock_deadlines(conn: Connection) -> None:
    """Exclusively: waits for every transaction that computed a deadline to end, and holds
    new ones back until the caller's transaction ends."""
    await conn.execute("SELECT pg_advisory_xact_lock($1)", _DEADLINE_LOCK)


async def recomputed_version(conn: Connection) -> int:
    """The calendar version whose recompute of open deadlines has committed (0: none yet)."""
    return int(await conn.fetchval("SELECT recomputed_version FROM calendar_state"))


async def mark_recomputed(conn: Connection, version: int) -> None:
    await conn.execute(
        "UPDATE calendar_state SET recomputed_version = greatest(recomputed_version, $1)",
        version,
    )


async def give_way_to_row_locks(conn: Connection) -> None:
    """For the rest of the caller's transaction, a row lock not granted within
    ``RECOMPUTE_LOCK_WAIT`` fails it (55P03) instead of waiting: a transaction that locked a
    case before asking for the deadline lock is then never the one PostgreSQL aborts as a
    deadlock (its detector runs after ``deadlock_timeout``, 1 s by default)."""
    await conn.execute("SELECT set_config('lock_timeout', $1, true)", RECOMPUTE_LOCK_WAIT)


async def bump_version(conn: Connection) -> int:
    """The next version; the row lock also serialises concurrent imports."""
    return int(
        await conn.fetchval("UPDATE calendar_state SET version = version + 1 RETURNING version")
    )


class YearRow(msgspec.Struct, frozen=True, kw_only=True):
    """A year of the official calendar: where its days come from."""

    year: int
    source: str
    source_url: str | None
    imported_by: str
    imported_at: datetime


class YearCountsRow(YearRow, frozen=True, kw_only=True):
    holidays: int
    workdays: int


class DayRow(msgspec.Struct, frozen=True, kw_only=True):
    day: date
    kind: str  # 'holiday' | 'workday' (a 调休 working day on a weekend)
    name: str


async def years(conn: Connection) -> list[YearCountsRow]:
    return many(
        YearCountsRow,
        await conn.fetch(
            """SELECT y.year, y.source, y.source_url, y.imported_by, y.imported_at,
                      count(*) FILTER (WHERE d.kind = 'holiday') AS holidays,
                      count(*) FILTER (WHERE d.kind = 'workday') AS workdays
                 FROM calendar_years y LEFT JOIN calendar_days d ON d.year = y.year
                GROUP BY y.year ORDER BY y.year"""
        ),
    )


async def year(conn: Connection, year: int) -> YearRow | None:
    return one(
        YearRow,
        await conn.fetchrow(
            """SELECT year, source, source_url, imported_by, imported_at
                 FROM calendar_years WHERE year = $1""",
            year,
        ),
    )


async def days(conn: Connection) -> list[DayRow]:
    return many(DayRow, await conn.fetch("SELECT day, kind, name FROM calendar_days ORDER BY day"))


async def replace_year(
    conn: Connection,
    year: int,
    *,
    source: str,
    source_url: str | None,
    imported_by: str,
    days: Iterable[tuple[date, str, str]],
) -> bool:
    """The year's notice, instead of whatever was there; True when it replaced one. A day
    listed before by another year's notice now belongs to this one."""
    replaced = await conn.fetchval(
        "DELETE FROM calendar_years WHERE year = $1 RETURNING true", year
    )
    await conn.execute(
        """INSERT INTO calendar_years (year, source, source_url, imported_by)
           VALUES ($1, $2, $3, $4)""",
        year,
        source,
        source_url,
        imported_by,
    )
    await conn.executemany(
        """INSERT INTO calendar_days (day, year, kind, name) VALUES ($1, $2, $3, $4)
           ON CONFLICT (day) DO UPDATE
              SET year = EXCLUDED.year, kind = EXCLUDED.kind, name = EXCLUDED.name""",
        [(day, year, kind, name) for day, kind, name in days],
    )
    return bool(replaced)


async def add_year_if_missing(
    conn: Connection,
    year: int,
    *,
    source: str,
    imported_by: str,
    days: Iterable[tuple[date, str, str]],
) -> bool:
    """The year from a transcription, unless the year is there already; the days another
    notice lists stay as they are. True when added."""
    added = await conn.fetchval(
        """INSERT INTO calendar_years (year, source, imported_by) VALUES ($1, $2, $3)
           ON CONFLICT (year) DO NOTHING RETURNING true""",
        year,
        source,
        imported_by,
    )
    if not added:
        return False
    await conn.executemany(
        """INSERT INTO calendar_days (day, year, kind, name) VALUES ($1, $2, $3, $4)
           ON CONFLICT (day) DO NOTHING""",
        [(day, year, kind, name) for day, kind, name in days],
    )
    return True
