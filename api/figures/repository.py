"""All SQL of figures: the daily rollups (``figure_days``, ``figure_push_days``), how far they
have read (``figure_progress``), migrations 0028 and 0030, and the temporary tables a batch is
staged in.

A batch is set-based end to end: the figures service creates the batch's temporary tables
(``open_batch``, ``open_facts``), the domains that own the facts fill them from their own tables
(declarations' moves, durations and deadlines; reviews' ratings; payments' orders), and one
statement here merges them into the rollup."""

from __future__ import annotations

from datetime import date
from typing import Any

import msgspec

from core.db import Connection, many, one

# A batch's statements run in a job and get minutes, not the pool's command timeout (a
# million entries on a loaded database take tens of seconds).
BATCH_STATEMENT_SECONDS = 600.0


class _Row(msgspec.Struct, frozen=True, kw_only=True):
    pass


class ProgressRow(_Row, frozen=True, kw_only=True):
    events_below: int
    swept_through: date | None
    settled_before: date | None


class SumRow(_Row, frozen=True, kw_only=True):
    key: str
    applications: int
    accepted: int
    tolerated: int
    completed: int
    completed_online: int
    completed_in_time: int
    refused: int
    not_accepted: int
    supplement_requests: int
    supplemented: int
    repeat_supplemented: int
    due: int
    overdue: int
    reviews: int
    good_reviews: int
    bad_reviews: int
    bad_rectified_in_time: int
    payment_orders: int
    payments_paid: int


class HistogramRow(_Row, frozen=True, kw_only=True):
    key: str
    kind: str
    days: int
    cases: int


class ReachRow(_Row, frozen=True, kw_only=True):
    key: str
    channel: str
    sent: int
    delivered: int
    read: int
    failed: int
    quota_misses: int


class MonthRow(_Row, frozen=True, kw_only=True):
    month: date
    applications: int
    completed: int
    completed_online: int
    reviews: int
    good_reviews: int
    acceptance_cases: int
    acceptance_days: int
    completion_cases: int
    completion_days: int


COUNTS = tuple(f for f in SumRow.__struct_fields__ if f != "key")
# Kept from the timeline (added batch by batch) and settled (replaced over the recent window).
SETTLED = (
    "reviews",
    "good_reviews",
    "bad_reviews",
    "bad_rectified_in_time",
    "payment_orders",
    "payments_paid",
)
MOVED = tuple(c for c in COUNTS if c not in SETTLED)
KINDS = ("acceptance", "completion", "promised")
HISTOGRAMS = tuple(f"{k}_days" for k in KINDS)
SLICE = ("day", "item_code", "department_code", "region_code", "channel")
_SLICE = ", ".join(SLICE)
# The moves of a batch (the other counts count some of these again).
_MOVES = ("applications", "accepted", "completed", "refused", "not_accepted", "supplement_requests")

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
    """The rollup's progress, locked until the caller's transaction ends: runs of the jobs
    (concurrent, retried) take turns, and each starts where the last committed one stopped."""
    row = one(
        ProgressRow,
        await conn.fetchrow(
            """SELECT events_below::text::bigint AS events_below, swept_through, settled_before
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


async def save_settled(conn: Connection, settled_before: date) -> None:
    await conn.execute(
        "UPDATE figure_progress SET settled_before = $1, updated_at = now() WHERE singleton",
        settled_before,
    )


# --- a batch of the timeline ------------------------------------------------------------------


async def open_batch(conn: Connection) -> None:
    """``figure_batch``, dropped at commit: rows of slice-days the declarations service stages
    (any number per slice-day; columns it does not fill are zero or empty)."""
    counts = ", ".join(f"{c} integer NOT NULL DEFAULT 0" for c in MOVED)
    histograms = ", ".join(f"{h} integer[] NOT NULL DEFAULT '{{}}'" for h in HISTOGRAMS)
    await conn.execute(
        f"""CREATE TEMPORARY TABLE figure_batch (
                day date NOT NULL, item_code text NOT NULL, department_code text NOT NULL,
                region_code text NOT NULL, channel text NOT NULL, {counts}, {histograms}
            ) ON COMMIT DROP"""
    )


async def tune_batch(conn: Connection) -> None:
    """A batch's sorts and hashes (up to BATCH_EVENTS entries) fit in memory for its transaction."""
    await conn.execute("SET LOCAL work_mem = '256MB'")


async def merge_batch(conn: Connection) -> tuple[int, int]:
    """Adds the staged rows to the rollup in one statement (counts summed, histograms added
    element-wise); (moves staged, rollup rows touched)."""
    moves = await conn.fetchval(
        f"SELECT coalesce(sum({' + '.join(_MOVES)}), 0)::bigint FROM figure_batch"
    )
    sums = ", ".join(f"sum({c})::integer" for c in MOVED)
    # One staged row per slice-day carries histograms (declarations' moves are grouped by
    # slice-day; its deadline rows carry none), so the greatest is that one, or empty.
    histograms = ", ".join(f"max({h})" for h in HISTOGRAMS)
    updates = [f"{c} = f.{c} + EXCLUDED.{c}" for c in MOVED]
    updates += [
        f"""{h} = CASE WHEN cardinality(EXCLUDED.{h}) = 0 THEN f.{h}
                      WHEN cardinality(f.{h}) = 0 THEN EXCLUDED.{h}
                      ELSE histogram_add(f.{h}, EXCLUDED.{h}) END"""
        for h in HISTOGRAMS
    ]
    status = await conn.execute(
        f"""INSERT INTO figure_days AS f ({_SLICE}, {", ".join(MOVED)}, {", ".join(HISTOGRAMS)})
            SELECT {_SLICE}, {sums}, {histograms} FROM figure_batch GROUP BY {_SLICE}
            ON CONFLICT ({_SLICE}) DO UPDATE SET {", ".join(updates)}""",
        timeout=BATCH_STATEMENT_SECONDS,
    )
    return int(moves), int(status.rsplit(" ", 1)[-1])


# --- settled figures: other domains' facts of a declaration, and push reach -----------------


async def open_facts(conn: Connection) -> None:
    """``figure_facts``, dropped at commit: per China day and declaration, what reviews and
    payments stage (declarations then fills in each row's slice)."""
    counts = ", ".join(f"{c} integer NOT NULL DEFAULT 0" for c in SETTLED)
    await conn.execute(
        f"""CREATE TEMPORARY TABLE figure_facts (
                day date NOT NULL, declaration_id uuid,
                item_code text NOT NULL DEFAULT '', department_code text NOT NULL DEFAULT '',
                region_code text NOT NULL DEFAULT '', channel text NOT NULL DEFAULT '',
                {counts}
            ) ON COMMIT DROP"""
    )


async def replace_settled(conn: Connection, since: date) -> int:
    """The settled counts of the days from ``since`` become the staged facts' (rows touched)."""
    zero = ", ".join(f"{c} = 0" for c in SETTLED)
    await conn.execute(
        f"""UPDATE figure_days SET {zero}
             WHERE day >= $1 AND (reviews <> 0 OR payment_orders <> 0)""",
        since,
    )
    sums = ", ".join(f"sum({c})::integer" for c in SETTLED)
    status = await conn.execute(
        f"""INSERT INTO figure_days AS f ({_SLICE}, {", ".join(SETTLED)})
            SELECT {_SLICE}, {sums} FROM figure_facts WHERE day >= $1 GROUP BY {_SLICE}
            ON CONFLICT ({_SLICE}) DO UPDATE
               SET {", ".join(f"{c} = EXCLUDED.{c}" for c in SETTLED)}""",
        since,
    )
    return int(status.rsplit(" ", 1)[-1])


async def replace_reach(conn: Connection, since: date, rows: list[dict[str, Any]]) -> None:
    """Push reach of the days from ``since`` becomes ``rows``'."""
    await conn.execute("DELETE FROM figure_push_days WHERE day >= $1", since)
    if not rows:
        return
    columns = ("day", "channel", "sent", "delivered", "read", "failed", "quota_misses")
    types = ("date", "text", *("integer",) * 5)
    await conn.execute(
        f"""INSERT INTO figure_push_days ({", ".join(columns)})
            SELECT * FROM unnest({", ".join(f"${i}::{t}[]" for i, t in enumerate(types, 1))})""",
        *[[r[c] for r in rows if r["day"] >= since] for c in columns],
    )


# --- the figures ------------------------------------------------------------------------------


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
        for kind in KINDS
    ]
    return many(HistogramRow, await conn.fetch(" UNION ALL ".join(parts), *args))


async def reach(conn: Connection, first: date, last: date, by_day: bool) -> list[ReachRow]:
    """Push reach of the period per channel (and per day when ``by_day``)."""
    key = "day::text" if by_day else "''"
    return many(
        ReachRow,
        await conn.fetch(
            f"""SELECT {key} AS key, channel, sum(sent)::integer AS sent,
                       sum(delivered)::integer AS delivered, sum(read)::integer AS read,
                       sum(failed)::integer AS failed, sum(quota_misses)::integer AS quota_misses
                  FROM figure_push_days WHERE day BETWEEN $1 AND $2 GROUP BY 1, 2""",
            first,
            last,
        ),
    )


async def months(conn: Connection, first: date, last: date) -> list[MonthRow]:
    """The province's figures per month of [first, last]: counts, and the sums of working days
    and cases of the two duration histograms (for averages)."""
    return many(
        MonthRow,
        await conn.fetch(
            """SELECT date_trunc('month', f.day)::date AS month, -- zone-free: f.day is a China day already
                      sum(f.applications)::integer AS applications,
                      sum(f.completed)::integer AS completed,
                      sum(f.completed_online)::integer AS completed_online,
                      sum(f.reviews)::integer AS reviews,
                      sum(f.good_reviews)::integer AS good_reviews,
                      sum(a.cases)::integer AS acceptance_cases,
                      sum(a.days)::integer AS acceptance_days,
                      sum(c.cases)::integer AS completion_cases,
                      sum(c.days)::integer AS completion_days
                 FROM figure_days f
                 CROSS JOIN LATERAL (
                     SELECT coalesce(sum(u.n), 0) AS cases, coalesce(sum((u.i - 1) * u.n), 0) AS days
                       FROM unnest(f.acceptance_days) WITH ORDINALITY AS u (n, i)) AS a
                 CROSS JOIN LATERAL (
                     SELECT coalesce(sum(u.n), 0) AS cases, coalesce(sum((u.i - 1) * u.n), 0) AS days
                       FROM unnest(f.completion_days) WITH ORDINALITY AS u (n, i)) AS c
                WHERE f.day BETWEEN $1 AND $2
                GROUP BY 1 ORDER BY 1""",
            first,
            last,
        ),
    )
