"""All SQL of 一件事 bundles (migration 0039): the bundle and which declarations are its members.
The members' declarations themselves are declarations' rows, reached through its service."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec

from core.db import Connection, columns, many, one


class BundleRow(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    citizen_id: uuid.UUID
    bundle_code: str
    bundle_name: str
    state: str
    answers: dict[str, str]
    plan: dict[str, Any]
    form_data: dict[str, Any]
    channel_method: str
    submit_key: str | None
    created_at: datetime
    submitted_at: datetime | None
    finished_at: datetime | None


class MemberRow(msgspec.Struct, frozen=True, kw_only=True):
    bundle_id: uuid.UUID
    item_code: str
    item_name: str
    department_code: str
    department_name: str
    position: int
    after_codes: list[str]
    declaration_id: uuid.UUID
    status: str
    declaration_state: str
    blocked_reason: str | None
    started_at: datetime | None
    finished_at: datetime | None


class FigureRow(msgspec.Struct, frozen=True, kw_only=True):
    bundle_code: str
    bundle_name: str
    applications: int
    finished: int
    end_to_end_s: float | None
    members_sum_s: float | None


_BUNDLE = columns(BundleRow)
_MEMBER = columns(MemberRow)


async def create(
    conn: Connection,
    *,
    citizen_id: uuid.UUID,
    bundle_code: str,
    bundle_name: str,
    answers: dict[str, str],
    plan: dict[str, Any],
    form_data: dict[str, Any],
) -> BundleRow:
    row = await conn.fetchrow(
        f"""INSERT INTO bundles (id, citizen_id, bundle_code, bundle_name, answers, plan, form_data)
            VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {_BUNDLE}""",
        uuid.uuid4(),
        citizen_id,
        bundle_code,
        bundle_name,
        answers,
        plan,
        form_data,
    )
    found = one(BundleRow, row)
    assert found is not None
    return found


async def add_members(conn: Connection, members: list[MemberRow]) -> None:
    await conn.executemany(
        f"""INSERT INTO bundle_members ({_MEMBER})
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)""",
        [msgspec.structs.astuple(m) for m in members],
    )


async def get(
    conn: Connection, bundle_id: uuid.UUID, citizen_id: uuid.UUID | None, *, lock: bool = False
) -> BundleRow | None:
    """The bundle (only when it is ``citizen_id``'s, unless None: a job's read)."""
    return one(
        BundleRow,
        await conn.fetchrow(
            f"""SELECT {_BUNDLE} FROM bundles
                WHERE id = $1 AND ($2::uuid IS NULL OR citizen_id = $2)
                {"FOR UPDATE" if lock else ""}""",
            bundle_id,
            citizen_id,
        ),
    )


async def members(conn: Connection, bundle_id: uuid.UUID) -> list[MemberRow]:
    return many(
        MemberRow,
        await conn.fetch(
            f"SELECT {_MEMBER} FROM bundle_members WHERE bundle_id = $1 ORDER BY position",
            bundle_id,
        ),
    )


async def bundle_of_declaration(conn: Connection, declaration_id: uuid.UUID) -> uuid.UUID | None:
    bundle_id: uuid.UUID | None = await conn.fetchval(
        "SELECT bundle_id FROM bundle_members WHERE declaration_id = $1", declaration_id
    )
    return bundle_id


async def mine(
    conn: Connection, citizen_id: uuid.UUID, page: int, page_size: int
) -> tuple[list[BundleRow], int]:
    rows = await conn.fetch(
        f"""SELECT {_BUNDLE}, count(*) OVER () AS total FROM bundles WHERE citizen_id = $1
            ORDER BY created_at DESC, id LIMIT $2 OFFSET $3""",
        citizen_id,
        page_size,
        (page - 1) * page_size,
    )
    total = rows[0]["total"] if rows else 0
    if not rows and page > 1:
        total = await conn.fetchval(
            "SELECT count(*) FROM bundles WHERE citizen_id = $1", citizen_id
        )
    fields = [f.name for f in msgspec.structs.fields(BundleRow)]
    return [BundleRow(**{k: r[k] for k in fields}) for r in rows], int(total)


async def states_of(
    conn: Connection, bundle_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[tuple[str, str]]]:
    rows = await conn.fetch(
        """SELECT bundle_id, status, declaration_state FROM bundle_members
           WHERE bundle_id = ANY($1::uuid[]) ORDER BY bundle_id, position""",
        bundle_ids,
    )
    found: dict[uuid.UUID, list[tuple[str, str]]] = {i: [] for i in bundle_ids}
    for r in rows:
        found[r["bundle_id"]].append((r["status"], r["declaration_state"]))
    return found


async def save_form(conn: Connection, bundle_id: uuid.UUID, form_data: dict[str, Any]) -> None:
    await conn.execute(
        "UPDATE bundles SET form_data = $2, updated_at = now() WHERE id = $1", bundle_id, form_data
    )


async def mark_submitted(
    conn: Connection, bundle_id: uuid.UUID, key: str, channel_method: str, at: datetime
) -> None:
    await conn.execute(
        """UPDATE bundles SET state = 'in_progress', submit_key = $2, channel_method = $3,
               submitted_at = $4, updated_at = now()
           WHERE id = $1""",
        bundle_id,
        key,
        channel_method,
        at,
    )


async def by_submit_key(conn: Connection, citizen_id: uuid.UUID, key: str) -> uuid.UUID | None:
    found: uuid.UUID | None = await conn.fetchval(
        "SELECT id FROM bundles WHERE citizen_id = $1 AND submit_key = $2", citizen_id, key
    )
    return found


async def set_member(
    conn: Connection,
    bundle_id: uuid.UUID,
    item_code: str,
    *,
    status: str | None = None,
    declaration_state: str | None = None,
    blocked_reason: str | None = None,
    started_at: datetime | None = None,
    finished_at: datetime | None = None,
) -> None:
    """Change what is given (None: kept); a member that leaves ``blocked`` loses its reason."""
    await conn.execute(
        """UPDATE bundle_members SET
               status = coalesce($3, status),
               declaration_state = coalesce($4, declaration_state),
               blocked_reason = CASE WHEN coalesce($3, status) = 'blocked'
                                     THEN coalesce($5, blocked_reason) END,
               started_at = coalesce($6, started_at),
               finished_at = coalesce($7, finished_at)
           WHERE bundle_id = $1 AND item_code = $2""",
        bundle_id,
        item_code,
        status,
        declaration_state,
        blocked_reason,
        started_at,
        finished_at,
    )


async def finish(conn: Connection, bundle_id: uuid.UUID, at: datetime) -> bool:
    """The bundle finished (once): whether this call finished it."""
    done = await conn.fetchval(
        """UPDATE bundles SET state = 'finished', finished_at = $2, updated_at = now()
           WHERE id = $1 AND state = 'in_progress' RETURNING true""",
        bundle_id,
        at,
    )
    return bool(done)


async def figures(conn: Connection) -> list[FigureRow]:
    """Per bundle: applications (submitted), finished, and of the finished the mean end-to-end
    time and the mean of the members' own times added up, in seconds."""
    return many(
        FigureRow,
        await conn.fetch(
            """SELECT b.bundle_code, max(b.bundle_name) AS bundle_name,
                      count(*)::int AS applications,
                      (count(*) FILTER (WHERE b.state = 'finished'))::int AS finished,
                      avg(date_part('epoch', b.finished_at - b.submitted_at)) -- zone-free: a length
                          FILTER (WHERE b.state = 'finished')::float8 AS end_to_end_s,
                      avg(m.sum_s) FILTER (WHERE b.state = 'finished')::float8 AS members_sum_s
               FROM bundles b
               LEFT JOIN LATERAL (
                   SELECT sum(date_part('epoch', finished_at - started_at)) AS sum_s -- zone-free: a length
                   FROM bundle_members
                   WHERE bundle_id = b.id AND started_at IS NOT NULL AND finished_at IS NOT NULL
               ) m ON true
               WHERE b.state <> 'draft'
               GROUP BY b.bundle_code
               ORDER BY b.bundle_code"""
        ),
    )


async def absorb_citizen(conn: Connection, source: uuid.UUID, target: uuid.UUID) -> int:
    moved = await conn.execute(
        "UPDATE bundles SET citizen_id = $2 WHERE citizen_id = $1", source, target
    )
    return int(moved.split()[-1])
