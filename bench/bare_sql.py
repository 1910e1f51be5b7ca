"""Baselines of bench/declarations.py: the same list SQL through a bare asyncpg handler, a bare
INSERT handler (one row per request, the write baseline), and a raw endpoint writing a request
body to a file (``?sync=1``: and syncing it to the disk before it answers, as any store that
acknowledges an upload must).

    python -m bench.bare_sql PORT CITIZEN_ID RAW_UPLOAD_PATH
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from pathlib import Path
from typing import Any

import asyncpg
from litestar import Litestar, Request, get, post, put

from api.cli import run_server
from core.settings import load_settings

# As api.declarations.repository.list_for runs it.
LIST_SQL = """SELECT id::text AS id, item_code, item_name, state, delivery, case_number,
                  submitted_at, promised_due, promised_due_provisional, supervision, updated_at,
                  count(*) OVER () AS total
             FROM declarations
            WHERE citizen_id = $1 AND ($2::text IS NULL OR state = $2)
              AND ($5::text[] IS NULL OR item_code = ANY($5::text[]))
            ORDER BY created_at DESC, id LIMIT $3 OFFSET $4"""

WRITES_TABLE = """CREATE TABLE IF NOT EXISTS bench_writes (
    id uuid PRIMARY KEY, citizen_id uuid NOT NULL, item_code text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now())"""
INSERT_SQL = "INSERT INTO bench_writes (id, citizen_id, item_code) VALUES ($1, $2, $3) RETURNING id"


def build(citizen_id: uuid.UUID, raw_path: Path) -> Litestar:
    settings = load_settings()
    pools: dict[str, asyncpg.Pool] = {}

    async def startup() -> None:
        pool = await asyncpg.create_pool(settings.database.url.reveal(), min_size=2, max_size=10)
        assert pool is not None
        pools["db"] = pool
        await pool.execute(WRITES_TABLE)

    @get("/declarations")
    async def declarations() -> list[dict[str, Any]]:
        rows = await pools["db"].fetch(LIST_SQL, citizen_id, None, 20, 0, None)
        return [{k: str(v) if v is not None else None for k, v in dict(r).items()} for r in rows]

    @post("/insert")
    async def insert(data: dict[str, Any]) -> dict[str, str]:
        row_id = await pools["db"].fetchval(
            INSERT_SQL, uuid.uuid4(), citizen_id, str(data["itemCode"])
        )
        return {"id": str(row_id)}

    @put("/raw-upload", request_max_body_size=None)
    async def raw_upload(request: Request[Any, Any, Any], sync: bool = False) -> dict[str, int]:
        size = 0
        with raw_path.open("wb") as f:
            async for chunk in request.stream():
                f.write(chunk)
                size += len(chunk)
            if sync:
                f.flush()
                await asyncio.to_thread(os.fsync, f.fileno())
        return {"size": size}

    return Litestar(
        route_handlers=[declarations, insert, raw_upload], on_startup=[startup], openapi_config=None
    )


if __name__ == "__main__":
    run_server(build(uuid.UUID(sys.argv[2]), Path(sys.argv[3])), "127.0.0.1", int(sys.argv[1]))
