"""All SQL of the catalogue."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import msgspec

from api.catalog.schemas import ItemFilter
from core.db import Connection, columns, many, one

FEED_ITEMS = "provincial.items"


class SummaryRow(msgspec.Struct, frozen=True, kw_only=True):
    """An item's columns shown in lists (``_SUMMARY_COLUMNS``)."""

    code: str
    name: str
    item_type: str
    department_code: str
    department_name: str
    region_code: str
    region_name: str
    themes: list[str]
    case_type: str
    online_level: str
    charged: bool
    issues_licence: bool
    is_bundle: bool
    status: str
    status_reason: str | None
    # By language tag: the platform's translations of the item's text (``ItemTranslation``).
    translations: Any


class ItemRow(SummaryRow, frozen=True, kw_only=True):
    """One item as stored, ready for an idempotent upsert: its list columns and the rest."""

    annual_volume: int
    platform_version: int
    platform_updated_at: datetime
    guide: Any
    search_text: str
    name_initials: str


# The columns are the rows' fields, written once: a list's SELECT and the upsert's INSERT.
_SUMMARY_COLUMNS = columns(SummaryRow)
_ITEM_COLUMNS = columns(ItemRow).split(", ")
_UPSERT_ITEM = f"""
        INSERT INTO catalog_items ({", ".join(_ITEM_COLUMNS)})
        VALUES ({", ".join(f"${n}" for n in range(1, len(_ITEM_COLUMNS) + 1))})
        ON CONFLICT (code) DO UPDATE SET
            {", ".join(f"{c} = EXCLUDED.{c}" for c in _ITEM_COLUMNS if c != "code")},
            synced_at = now()
        WHERE (catalog_items.platform_version, catalog_items.platform_updated_at)
            < (EXCLUDED.platform_version, EXCLUDED.platform_updated_at)
        RETURNING true
        """


class PagedSummaryRow(SummaryRow, frozen=True, kw_only=True):
    total: int


class StoredItemRow(SummaryRow, frozen=True, kw_only=True):
    """An item with its guide (the platform's JSON, as stored) and version."""

    guide: Any
    platform_version: int
    platform_updated_at: datetime


class FacetRow(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    name: str
    count: int


async def upsert_item(conn: Connection, row: ItemRow) -> bool:
    """Insert or update one item; a replayed or older version changes nothing.

    Returns whether the stored item changed.
    """
    changed = await conn.fetchval(_UPSERT_ITEM, *msgspec.structs.astuple(row))
    return bool(changed)


async def get_cursor(conn: Connection, feed: str) -> str | None:
    cursor: str | None = await conn.fetchval(
        "SELECT cursor FROM catalog_sync_state WHERE feed = $1", feed
    )
    return cursor


async def save_cursor(conn: Connection, feed: str, cursor: str | None, applied: int) -> None:
    await conn.execute(
        """
        INSERT INTO catalog_sync_state (feed, cursor, last_synced_at, items_applied)
        VALUES ($1, $2, now(), $3)
        ON CONFLICT (feed) DO UPDATE SET cursor = EXCLUDED.cursor, last_synced_at = now(),
            items_applied = catalog_sync_state.items_applied + EXCLUDED.items_applied
        """,
        feed,
        cursor,
        applied,
    )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _where(filters: ItemFilter) -> tuple[str, list[Any]]:
    clauses = ["status <> 'terminated'"]
    args: list[Any] = []

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    if filters.department:
        clauses.append(f"department_code = {arg(filters.department)}")
    if filters.region:
        clauses.append(f"region_code = {arg(filters.region)}")
    if filters.theme:
        clauses.append(f"{arg(filters.theme)} = ANY(themes)")
    if filters.online_level:
        clauses.append(f"online_level = {arg(filters.online_level)}")
    if filters.charged is not None:
        clauses.append(f"charged = {arg(filters.charged)}")
    if filters.keyword:
        pattern = arg("%" + _escape_like(filters.keyword.lower()) + "%")
        if filters.keyword.isascii() and filters.keyword.isalpha():
            # Latin letters may be pinyin initials (sfz → 身份证).
            clauses.append(f"(search_text LIKE {pattern} OR name_initials LIKE {pattern})")
        else:
            clauses.append(f"search_text LIKE {pattern}")
    return " AND ".join(clauses), args


async def list_items(conn: Connection, filters: ItemFilter) -> tuple[list[SummaryRow], int]:
    where, args = _where(filters)
    order = "annual_volume DESC, code"
    if filters.keyword:
        # Items whose name (in Chinese or in the reader's language) holds the keyword before
        # items that only mention it in the guide.
        name_arg, locale_arg = len(args) + 1, len(args) + 2
        args += ["%" + _escape_like(filters.keyword.lower()) + "%", filters.locale]
        order = (
            f"(lower(name) LIKE ${name_arg} OR name_initials LIKE ${name_arg}"
            f" OR lower(coalesce(translations -> ${locale_arg} ->> 'name', '')) LIKE ${name_arg})"
            " DESC, "
        ) + order
    limit_arg, offset_arg = len(args) + 1, len(args) + 2
    args += [filters.page_size, (filters.page - 1) * filters.page_size]
    rows = await conn.fetch(
        f"""SELECT {_SUMMARY_COLUMNS}, count(*) OVER () AS total
              FROM catalog_items WHERE {where}
             ORDER BY {order} LIMIT ${limit_arg} OFFSET ${offset_arg}""",
        *args,
    )
    page = many(PagedSummaryRow, rows)
    total = page[0].total if page else await _count(conn, filters)
    return list(page), total


async def _count(conn: Connection, filters: ItemFilter) -> int:
    where, args = _where(filters)
    count: int = await conn.fetchval(f"SELECT count(*) FROM catalog_items WHERE {where}", *args)
    return count


async def hot_items(conn: Connection, limit: int) -> list[SummaryRow]:
    rows = await conn.fetch(
        f"""SELECT {_SUMMARY_COLUMNS} FROM catalog_items
             WHERE status = 'active'
             ORDER BY annual_volume DESC, code LIMIT $1""",
        limit,
    )
    return many(SummaryRow, rows)


async def get_item(conn: Connection, code: str) -> StoredItemRow | None:
    row = await conn.fetchrow(
        f"""SELECT {_SUMMARY_COLUMNS}, guide, platform_version, platform_updated_at
              FROM catalog_items WHERE code = $1""",
        code,
    )
    return one(StoredItemRow, row)


async def names_of(conn: Connection, codes: Sequence[str], locale: str) -> dict[str, str]:
    """Item names in ``locale`` where the platform translated them, else in Chinese."""
    rows = await conn.fetch(
        """SELECT code, coalesce(translations -> $2 ->> 'name', name) AS name
             FROM catalog_items WHERE code = ANY($1)""",
        codes,
        locale,
    )
    return {r["code"]: r["name"] for r in rows}


async def facets(conn: Connection, locale: str) -> dict[str, list[FacetRow]]:
    """Departments, regions and themes with their item counts; department and region names in
    ``locale`` where any item of theirs carries a translation, else in Chinese."""
    live = "status <> 'terminated'"
    departments = await conn.fetch(
        f"""SELECT department_code AS code,
                   coalesce(min(translations -> $1 ->> 'departmentName'), min(department_name))
                       AS name,
                   count(*) AS count
              FROM catalog_items WHERE {live} GROUP BY department_code ORDER BY count DESC, code""",
        locale,
    )
    regions = await conn.fetch(
        f"""SELECT region_code AS code,
                   coalesce(min(translations -> $1 ->> 'regionName'), min(region_name)) AS name,
                   count(*) AS count
              FROM catalog_items WHERE {live} GROUP BY region_code ORDER BY code""",
        locale,
    )
    themes = await conn.fetch(
        f"""SELECT theme AS code, theme AS name, count(*) AS count
              FROM catalog_items, unnest(themes) AS theme
             WHERE {live} GROUP BY theme ORDER BY count DESC, theme"""
    )
    return {
        "departments": many(FacetRow, departments),
        "regions": many(FacetRow, regions),
        "themes": many(FacetRow, themes),
    }


# --- for reviews ---


class DepartmentRow(msgspec.Struct, frozen=True, kw_only=True):
    department_code: str
    department_name: str


async def department_of(conn: Connection, code: str) -> DepartmentRow | None:
    row = await conn.fetchrow(
        "SELECT department_code, department_name FROM catalog_items WHERE code = $1", code
    )
    return one(DepartmentRow, row)


async def department_names(conn: Connection, codes: list[str]) -> dict[str, str]:
    rows = await conn.fetch(
        """SELECT department_code, min(department_name) AS name FROM catalog_items
            WHERE department_code = ANY($1::text[]) GROUP BY 1""",
        codes,
    )
    return {r["department_code"]: r["name"] for r in rows}
