"""Numbered SQL migrations, applied in order under an advisory lock and recorded.

Files live in ``core/migrations`` (and in each domain's ``migrations`` folder listed in
``MIGRATION_DIRS``) as ``NNNN_description.sql``. Numbers are global: two files with the same
number are an error, caught by ``discover`` and by a test.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import asyncpg

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
# Arbitrary constant shared by every process that migrates this database.
_LOCK_KEY = 7_240_301_116


class MigrationError(RuntimeError):
    pass


@dataclass(frozen=True, slots=True)
class Migration:
    number: int
    name: str
    path: Path

    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    found: dict[int, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        match = _NAME.match(path.name)
        if match is None:
            raise MigrationError(f"migration file name not NNNN_name.sql: {path.name}")
        number = int(match.group(1))
        if number in found:
            raise MigrationError(
                f"two migrations share number {number:04d}: {found[number].path.name}, {path.name}"
            )
        found[number] = Migration(number, match.group(2), path)
    return [found[n] for n in sorted(found)]


async def apply_migrations(conn: asyncpg.Connection, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply pending migrations, each in its own transaction; return the names applied."""
    migrations = discover(directory)
    await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
    try:
        await conn.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                   number integer PRIMARY KEY,
                   name text NOT NULL,
                   applied_at timestamptz NOT NULL DEFAULT now())"""
        )
        done = {r["number"] for r in await conn.fetch("SELECT number FROM schema_migrations")}
        applied: list[str] = []
        for migration in migrations:
            if migration.number in done:
                continue
            async with conn.transaction():
                await conn.execute(migration.sql())
                await conn.execute(
                    "INSERT INTO schema_migrations (number, name) VALUES ($1, $2)",
                    migration.number,
                    migration.name,
                )
            log.info("migration applied", extra={"migration": migration.path.name})
            applied.append(migration.path.name)
        return applied
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)


async def pending_migrations(
    conn: asyncpg.Connection, directory: Path = MIGRATIONS_DIR
) -> list[Migration]:
    """The migrations of this code not yet recorded as applied (all of them on a new database).

    Reads only: takes no lock and creates nothing, so a process without DDL rights may ask, and
    asking never waits behind a migration in progress (its rows commit with each migration).
    """
    recorded = await conn.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
    done: set[int] = (
        {r["number"] for r in await conn.fetch("SELECT number FROM schema_migrations")}
        if recorded
        else set()
    )
    return [m for m in discover(directory) if m.number not in done]
