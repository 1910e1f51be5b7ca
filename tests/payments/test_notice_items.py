"""A fee notice carries its case's item (migration 0042): recorded with the notice, and the
migration's backfill gives the notices kept before it their declaration's item."""

from __future__ import annotations

import uuid

import asyncpg
import httpx

from core.migrate import MIGRATIONS_DIR
from tests.fixtures.payments import Payer

MIGRATION = MIGRATIONS_DIR / "0042_fee_notice_items.sql"


async def test_the_notice_keeps_its_item_and_the_migration_backfills_older_notices(
    live: httpx.AsyncClient, worker: None, payer: Payer, db: asyncpg.Connection
) -> None:
    declaration, notice = await payer.accepted_with_fee()
    item = await db.fetchval(
        "SELECT item_code FROM declarations WHERE id = $1", uuid.UUID(declaration)
    )
    recorded = "SELECT item_code FROM fee_notices WHERE id = $1"
    assert await db.fetchval(recorded, uuid.UUID(notice["id"])) == item

    # As before the migration (no column), then the migration itself: the item comes back from
    # the declaration. Rolled back, so the database stays as the other tests expect it.
    transaction = db.transaction()
    await transaction.start()
    try:
        await db.execute("ALTER TABLE fee_notices DROP COLUMN item_code")
        await db.execute(MIGRATION.read_text(encoding="utf-8"))
        assert await db.fetchval(recorded, uuid.UUID(notice["id"])) == item
    finally:
        await transaction.rollback()
