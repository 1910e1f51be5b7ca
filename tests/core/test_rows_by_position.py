"""``core.db.many_by_position``: the rows of a hot list read by position, the same rows as
``many`` reads by name, with msgspec's type checks; a query whose columns are in another order
still gets the right rows (by name)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import asyncpg
import msgspec
import pytest

from core.db import columns, many, many_by_position


class ExampleRow(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    name: str
    due: date | None
    at: datetime
    count: int


QUERY = f"""SELECT {columns(ExampleRow)} FROM (VALUES
    (gen_random_uuid(), 'one', DATE '2026-12-07', now(), 1),
    (gen_random_uuid(), 'two', NULL, now(), 2)) AS t(id, name, due, at, count)"""


@pytest.mark.asyncio
async def test_rows_read_by_position_equal_rows_read_by_name(db: asyncpg.Connection) -> None:
    records = await db.fetch(QUERY)
    by_position = many_by_position(ExampleRow, records)
    by_name = many(ExampleRow, records)
    assert all(isinstance(row, ExampleRow) for row in by_position)
    assert type(by_position[0]) is not ExampleRow  # the array-read subclass: the fast path
    assert [msgspec.structs.asdict(r) for r in by_position] == [
        msgspec.structs.asdict(r) for r in by_name
    ]
    assert by_position[1].due is None and by_position[0].due == date(2026, 12, 7)


@pytest.mark.asyncio
async def test_columns_in_another_order_are_read_by_name(db: asyncpg.Connection) -> None:
    records = await db.fetch("SELECT count, name, id, due, at FROM (" + QUERY + ") AS q")
    rows = many_by_position(ExampleRow, records)
    assert type(rows[0]) is ExampleRow
    assert [(r.name, r.count) for r in rows] == [("one", 1), ("two", 2)]


@pytest.mark.asyncio
async def test_a_value_of_the_wrong_type_is_refused(db: asyncpg.Connection) -> None:
    records = await db.fetch(QUERY.replace("'one'", "42").replace("'two'", "43"))
    with pytest.raises(msgspec.ValidationError):
        many_by_position(ExampleRow, records)


@pytest.mark.asyncio
async def test_no_rows(db: asyncpg.Connection) -> None:
    assert many_by_position(ExampleRow, await db.fetch(QUERY + " WHERE false")) == []
