from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from core.migrate import MIGRATIONS_DIR, MigrationError, apply_migrations, discover


def test_migration_numbers_are_unique_and_named() -> None:
    migrations = discover()
    numbers = [m.number for m in migrations]
    assert numbers == sorted(set(numbers))
    assert len(migrations) == len(list(MIGRATIONS_DIR.glob("*.sql")))


def test_two_files_sharing_a_number_fail(tmp_path: Path) -> None:
    (tmp_path / "0001_first.sql").write_text("SELECT 1;")
    (tmp_path / "0001_second.sql").write_text("SELECT 2;")
    with pytest.raises(MigrationError, match="share number 0001"):
        discover(tmp_path)


def test_badly_named_file_fails(tmp_path: Path) -> None:
    (tmp_path / "1_first.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError):
        discover(tmp_path)


async def test_applying_again_is_a_no_op_and_records_every_file(db: asyncpg.Connection) -> None:
    assert await apply_migrations(db) == []
    recorded = [
        r["number"] for r in await db.fetch("SELECT number FROM schema_migrations ORDER BY 1")
    ]
    assert recorded == [m.number for m in discover()]


async def test_a_failing_migration_leaves_nothing_half_applied(
    db: asyncpg.Connection, tmp_path: Path
) -> None:
    (tmp_path / "0001_good.sql").write_text("CREATE TABLE mig_probe (id int);")
    (tmp_path / "0002_bad.sql").write_text("CREATE TABLE mig_probe2 (id int); SELECT 1/0;")
    await db.execute("CREATE SCHEMA probe; SET search_path = probe")
    with pytest.raises(asyncpg.DivisionByZeroError):
        await apply_migrations(db, tmp_path)
    tables = {
        r["tablename"]
        for r in await db.fetch("SELECT tablename FROM pg_tables WHERE schemaname='probe'")
    }
    assert "mig_probe" in tables and "mig_probe2" not in tables
