"""SQL of the ops console's system views."""

from __future__ import annotations

import asyncpg

from core.db import Connection


async def dead_letters(conn: Connection, limit: int) -> list[asyncpg.Record]:
    return list(
        await conn.fetch(
            """SELECT id, entrypoint, attempts, created, updated, last_error
                 FROM job_dead_letters ORDER BY id DESC LIMIT $1""",
            limit,
        )
    )
