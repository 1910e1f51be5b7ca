"""The my-declarations list is read by position (``core.db.many_by_position``): its query's
columns are the summary row's fields, in their order, so the fast path is the one taken."""

from __future__ import annotations

import asyncpg
import pytest

from api.declarations import repository as repo


@pytest.mark.asyncio
async def test_the_list_query_returns_the_summary_row_fields_in_order(
    db: asyncpg.Connection,
) -> None:
    statement = await db.prepare(f"SELECT {repo._SUMMARY_COLUMNS} FROM declarations")
    names = tuple(attribute.name for attribute in statement.get_attributes())
    assert names == repo.SummaryRow.__struct_fields__
