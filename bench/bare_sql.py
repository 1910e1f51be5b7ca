"""Baselines of bench/declarations.py: the same list SQL through a bare asyncpg handler, and a
raw endpoint writing a request body to a file.

    python -m bench.bare_sql PORT CITIZEN_ID RAW_UPLOAD_PATH
"""

from __future__ import annotations

import sys
import uuid
from pathlib import Path
from typing import Any

import asyncpg
from litestar import Litestar, Request, get, put

from api.cli import run_server
from core.settings import load_settings

LIST_SQL = """SELECT id, item_code, item_name, state, delivery, case_number, submitted_at,
                  promised_due, supervision, updated_at, count(*) OVER () AS total
             FROM declarations
            WHERE citizen_id = $1 AND ($2::text IS NULL OR state = $2)
            ORDER BY created_at DESC, id LIMIT $3 OFFSET $4"""


def build(citizen_id: uuid.UUID, raw_path: Path) -> Litestar:
    settings = load_settings()
    pools: dict[str, asyncpg.Pool] = {}

    async def startup() -> None:
        pool = await asyncpg.create_pool(settings.database.url.reveal(), min_size=2, max_size=10)
        assert pool is not None
        pools["db"] = pool

    @get("/declarations")
    async def declarations() -> list[dict[str, Any]]:
        rows = await pools["db"].fetch(LIST_SQL, citizen_id, None, 20, 0)
        return [{k: str(v) if v is not None else None for k, v in dict(r).items()} for r in rows]

    @put("/raw-upload", request_max_body_size=None)
    async def raw_upload(request: Request[Any, Any, Any]) -> dict[str, int]:
        size = 0
        with raw_path.open("wb") as f:
            async for chunk in request.stream():
                f.write(chunk)
                size += len(chunk)
        return {"size": size}

    return Litestar(
        route_handlers=[declarations, raw_upload], on_startup=[startup], openapi_config=None
    )


if __name__ == "__main__":
    run_server(build(uuid.UUID(sys.argv[2]), Path(sys.argv[3])), "127.0.0.1", int(sys.argv[1]))
