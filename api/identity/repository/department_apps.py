"""Department H5 apps that exchange a trust ticket for a citizen."""

from __future__ import annotations

import msgspec

from core.db import Connection, one


class DepartmentApp(msgspec.Struct, frozen=True, kw_only=True):
    client_id: str
    name: str
    secret_hash: str
    scopes: list[str]
    active: bool


async def get_department_app(conn: Connection, client_id: str) -> DepartmentApp | None:
    row = await conn.fetchrow(
        "SELECT client_id, name, secret_hash, scopes, active FROM department_apps"
        " WHERE client_id = $1",
        client_id,
    )
    return one(DepartmentApp, row)


async def upsert_department_app(
    conn: Connection, client_id: str, name: str, secret_hash: str, scopes: list[str]
) -> None:
    await conn.execute(
        """INSERT INTO department_apps (client_id, name, secret_hash, scopes)
           VALUES ($1, $2, $3, $4)
           ON CONFLICT (client_id) DO UPDATE SET name = EXCLUDED.name,
               secret_hash = EXCLUDED.secret_hash, scopes = EXCLUDED.scopes""",
        client_id,
        name,
        secret_hash,
        scopes,
    )
