"""All SQL of supervision: the cards per department and month, and the months computed
(migration 0029)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import msgspec

from core.db import Connection, many


class CardRow(msgspec.Struct, frozen=True, kw_only=True):
    department_code: str
    month: date
    colour: str
    reasons: list[str]
    overdue: int
    late_rectifications: int
    repeat_supplements: int
    asked_twice: int


async def save_card(conn: Connection, card: CardRow) -> None:
    """A month computed again replaces its card (the counts may have grown: a late finish)."""
    await conn.execute(
        """INSERT INTO supervision_cards (department_code, month, colour, reasons, overdue,
               late_rectifications, repeat_supplements, asked_twice)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (department_code, month) DO UPDATE SET
               colour = EXCLUDED.colour, reasons = EXCLUDED.reasons,
               overdue = EXCLUDED.overdue, late_rectifications = EXCLUDED.late_rectifications,
               repeat_supplements = EXCLUDED.repeat_supplements,
               asked_twice = EXCLUDED.asked_twice, computed_at = now()""",
        card.department_code,
        card.month,
        card.colour,
        card.reasons,
        card.overdue,
        card.late_rectifications,
        card.repeat_supplements,
        card.asked_twice,
    )


async def mark_month(conn: Connection, month: date) -> None:
    await conn.execute(
        """INSERT INTO supervision_card_months (month) VALUES ($1)
           ON CONFLICT (month) DO UPDATE SET computed_at = now()""",
        month,
    )


async def month_computed(conn: Connection, month: date) -> bool:
    return bool(
        await conn.fetchval("SELECT true FROM supervision_card_months WHERE month = $1", month)
    )


async def computed_months(conn: Connection, first: date, last: date) -> set[date]:
    rows = await conn.fetch(
        "SELECT month FROM supervision_card_months WHERE month BETWEEN $1 AND $2", first, last
    )
    return {r["month"] for r in rows}


async def cards(
    conn: Connection, first: date, last: date, departments: Sequence[str] | None
) -> list[CardRow]:
    return many(
        CardRow,
        await conn.fetch(
            """SELECT department_code, month, colour, reasons, overdue, late_rectifications,
                      repeat_supplements, asked_twice
                 FROM supervision_cards
                WHERE month BETWEEN $1 AND $2
                  AND ($3::text[] IS NULL OR department_code = ANY($3::text[]))
                ORDER BY department_code, month""",
            first,
            last,
            None if departments is None else list(departments),
        ),
    )
