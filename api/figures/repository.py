"""All SQL of figures: the daily rollup (``figure_days``) and how far it has read
(``figure_progress``), migration 0028."""

from __future__ import annotations

from datetime import date
from typing import Any

import msgspec

from core.db import Connection, many, one


class _Row(msgspec.Struct, frozen=True, kw_only=True):
    pass


class ProgressRow(_Row, frozen=True, kw_only=True):
    events_below: int
    swept_through: date | None


class SumRow(_Row, frozen=True, kw_only=True):
    key: str
    applications: int
    accepted: int
    tolerated: int
    completed: int
    completed_online: int
    refused: int
    not_accepted: int
    supplement_requests: int
    supplemented: int
    repeat_supplemented: int
    due: int
    overdue: int


class HistogramRow(_Row, frozen=True, kw_only=True):
    key: str
    kind: str
    days: int
    cases: int


COUNTS = tuple(f for f in SumRow.__struct_fields__ if f != "key")
HISTOGRAMS = ("acceptance_days", "completion_days")
SLICE = ("day", "item_code", "department_code", "region_code", "channel")

# What a row's key is, by the ``by`` of a request (week and month are folded from days).
KEYS = {
    "item": "item_code",
    "department": "department_code",
    "region": "region_code",
    "channel": "channel",
    "day": "day::text",
}
FILTERS = ("item_code", "department_code", "region_code", "channel")


async def lock_progress(conn: Connection) -> ProgressRow:
    """The rollup's progress, locked until the caller's transaction ends: runs of the job
    (concurrent, retried) take turns, and each starts where the last committed one stopped."""
    row = one(
        ProgressRow,
        await conn.fetchrow(
            """SELECT events_below::text::bigint AS events_below, swept_through
                 FROM figure_progress WHERE singleton FOR UPDATE"""
        ),
    )
    assert row is not None, "migration 0028 inserts the row"
    return row


async def swept_through(conn: Connection) -> date | None:
    swept: date | None = await conn.fetchval(
        "SELECT swept_through FROM figure_progress WHERE singleton"
    )
    return swept


async def save_progress(conn: Connection, events_below: int, swept_through: date | None) -> None:
    await conn.execute(
        """UPDATE figure_progress
              SET events_below = $1::text::xid8, swept_through = $2, updated_at = now()
            WHERE singleton""",
        str(events_below),
        swept_through,
    )


async def add(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Add each slice-day's counts and histograms to its row (created at zero). One statement
    over parallel arrays (a histogram travels as its array literal: arrays of arrays must be
    rectangular)."""
    if not rows:
        return
    types = {"day": "date", **dict.fromkeys(SLICE[1:], "text"), **dict.fromkeys(COUNTS, "integer")}
    columns = (*SLICE, *COUNTS)
    arrays: list[list[Any]] = [[r[c] for r in rows] for c in columns]
    arrays += [["{" + ",".join(map(str, r[h])) + "}" for r in rows] for h in HISTOGRAMS]
    parameters = [f"${i}::{types[c]}[]" for i, c in enumerate(columns, start=1)]
    parameters += [f"${len(columns) + i}::text[]" for i in (1, 2)]
    names = (*columns, *HISTOGRAMS)
    updates = [f"{c} = f.{c} + EXCLUDED.{c}" for c in COUNTS]
    updates += [f"{c} = figures_add_histograms(f.{c}, EXCLUDED.{c})" for c in HISTOGRAMS]
    await conn.execute(
        f"""INSERT INTO figure_days AS f ({", ".join(names)})
            SELECT {", ".join(columns)}, {", ".join(f"{h}::integer[]" for h in HISTOGRAMS)}
              FROM unnest({", ".join(parameters)}) AS r ({", ".join(names)})
            ON CONFLICT ({", ".join(SLICE)}) DO UPDATE SET {", ".join(updates)}""",
        *arrays,
    )


def _where(first: date, last: date, filters: dict[str, Any]) -> tuple[str, list[Any]]:
    """A filter is one value, or a list of values (a department-scoped caller's departments)."""
    clauses = ["day BETWEEN $1 AND $2"]
    args: list[Any] = [first, last]
    for column in FILTERS:
        if (value := filters.get(column)) is not None:
            args.append(value)
            if isinstance(value, list):
                clauses.append(f"{column} = ANY(${len(args)}::text[])")
            else:
                clauses.append(f"{column} = ${len(args)}")
    return " AND ".join(clauses), args


async def sums(
    conn: Connection, first: date, last: date, key: str, filters: dict[str, Any]
) -> list[SumRow]:
    where, args = _where(first, last, filters)
    totals = ", ".join(f"sum({c})::integer AS {c}" for c in COUNTS)
    return many(
        SumRow,
        await conn.fetch(
            f"SELECT {KEYS[key]} AS key, {totals} FROM figure_days WHERE {where} GROUP BY 1",
            *args,
        ),
    )


async def histograms(
    conn: Connection, first: date, last: date, key: str, filters: dict[str, Any]
) -> list[HistogramRow]:
    where, args = _where(first, last, filters)
    parts = [
        f"""SELECT {KEYS[key]} AS key, '{kind}' AS kind, (u.i - 1)::integer AS days,
                   sum(u.n)::integer AS cases
              FROM figure_days, unnest({kind}_days) WITH ORDINALITY AS u (n, i)
             WHERE {where} AND u.n > 0 GROUP BY 1, 3"""
        for kind in ("acceptance", "completion")
    ]
    return many(HistogramRow, await conn.fetch(" UNION ALL ".join(parts), *args))
