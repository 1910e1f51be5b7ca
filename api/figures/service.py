"""Service figures (issue 19): a daily rollup of the declarations' timeline, kept by a job in
batches from a watermark, and the figures of any period and slice summed from it.

The facts are declarations' (its service reads its own tables and counts working days on the
official calendar); this domain owns only the rollup and its progress."""

from __future__ import annotations

import csv
import io
import math
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

import msgspec

from api.declarations.service import DeclarationsService
from api.figures import errors
from api.figures import repository as repo
from api.figures.schemas import By, RollUpReport, ServiceFigureRow, ServiceFigures
from core.clock import Clock, china_today
from core.db import Connection, Pool

# Timeline entries per batch: one transaction of the job, and the unit the bench measures.
BATCH_EVENTS = 100_000
# The histograms' last bucket holds this many working days or more.
MAX_DAYS = 250
# The longest period one answer covers (day rows are folded in memory for weeks and months).
MAX_PERIOD_DAYS = 3 * 366
_BEFORE_ANY_DEADLINE = date(1999, 12, 31)
# The counts that are one move each (the others count some of these again).
_MOVES = ("applications", "accepted", "completed", "refused", "not_accepted", "supplement_requests")


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _rank(histogram: dict[int, int], q: float) -> int | None:
    """The nearest-rank quantile of cases counted by working days."""
    total = sum(histogram.values())
    if not total:
        return None
    rank, seen = max(1, math.ceil(q * total)), 0
    for days in sorted(histogram):
        seen += histogram[days]
        if seen >= rank:
            return days
    raise AssertionError("unreachable")


def _dense(histogram: dict[int, int]) -> list[int]:
    if not histogram:
        return []
    dense = [0] * (max(histogram) + 1)
    for days, cases in histogram.items():
        dense[days] += cases
    return dense


def _fold(day: str, by: By) -> str:
    d = date.fromisoformat(day)
    if by == "week":
        return (d - timedelta(days=d.weekday())).isoformat()
    if by == "month":
        return d.replace(day=1).isoformat()
    return day


class FiguresService:
    def __init__(self, *, pool: Pool, declarations: DeclarationsService, clock: Clock) -> None:
        self.pool = pool  # for the job (tasks.py), which opens its transactions
        self._declarations = declarations
        self.clock = clock

    # --- the rollup (the job: tasks.ROLL_UP_JOB) ------------------------------------------

    async def roll_up(
        self, conn: Connection, *, limit: int = BATCH_EVENTS, now: datetime | None = None
    ) -> RollUpReport:
        """One batch: the timeline entries of about ``limit`` more finished transactions, and
        the deadlines that passed since the last sweep, added to the rollup with the progress
        moved on, all in the caller's transaction. Runs take turns on the progress row, so a
        concurrent or retried run adds nothing twice."""
        progress = await repo.lock_progress(conn)
        d = self._declarations
        horizon = await d.event_horizon(conn)
        slices: dict[tuple[Any, ...], dict[str, Any]] = {}

        def row(day: date, item: str, department: str, region: str, channel: str) -> dict[str, Any]:
            key = (day, item, department, region, channel)
            if key not in slices:
                slices[key] = {
                    "day": day,
                    "item_code": item,
                    "department_code": department,
                    "region_code": region,
                    "channel": channel,
                    **dict.fromkeys(repo.COUNTS, 0),
                    "acceptance": defaultdict(int),
                    "completion": defaultdict(int),
                }
            return slices[key]

        events = 0  # moves read
        start, end = progress.events_below, progress.events_below
        if start < horizon:
            end = await d.figure_batch_end(conn, start, horizon, limit)
            for c in await d.figure_counts(conn, start, end):
                target = row(c.day, c.item_code, c.department_code, c.region_code, c.channel)
                for name, value in msgspec.structs.asdict(c).items():
                    if name in repo.COUNTS:
                        target[name] += value
                events += sum(getattr(c, name) for name in _MOVES)
            for h in await d.figure_durations(conn, start, end):
                target = row(h.day, h.item_code, h.department_code, h.region_code, h.channel)
                target[h.kind][min(h.days, MAX_DAYS)] += h.cases
        swept = progress.swept_through
        through = china_today(now or self.clock.now()) - timedelta(days=1)
        if swept is None or swept < through:
            for u in await d.figure_dues(conn, swept or _BEFORE_ANY_DEADLINE, through):
                target = row(u.day, u.item_code, u.department_code, u.region_code, u.channel)
                target["due"] += u.due
                target["overdue"] += u.overdue
            swept = through
        rows = [
            {k: v for k, v in r.items() if k not in ("acceptance", "completion")}
            | {
                "acceptance_days": _dense(r["acceptance"]),
                "completion_days": _dense(r["completion"]),
            }
            for r in slices.values()
        ]
        await repo.add(conn, rows)
        await repo.save_progress(conn, end, swept)
        return RollUpReport(moves=events, rows=len(rows), more=end < horizon)

    async def swept_through(self, conn: Connection) -> date | None:
        """The last China day whose deadlines the rollup has swept (its due/overdue counts are
        final up to there); None before the first run."""
        return await repo.swept_through(conn)

    # --- the figures (GET /ops/v1/figures/service) ----------------------------------------

    async def service_figures(
        self,
        conn: Connection,
        first: date,
        last: date,
        by: By,
        *,
        item: str | None = None,
        departments: Sequence[str] | None = None,
        region: str | None = None,
        channel: str | None = None,
    ) -> ServiceFigures:
        """``departments``: only these (None: every department)."""
        if first > last:
            raise errors.InvalidPeriod("from is after to")
        if (last - first).days >= MAX_PERIOD_DAYS:
            raise errors.InvalidPeriod(f"a period is at most {MAX_PERIOD_DAYS} days")
        filters: dict[str, Any] = {
            k: v
            for k, v in {
                "item_code": item,
                "department_code": None if departments is None else list(departments),
                "region_code": region,
                "channel": channel,
            }.items()
            if v is not None
        }
        key = "day" if by in ("week", "month") else by
        counts: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(repo.COUNTS, 0))
        hists: dict[tuple[str, str], dict[int, int]] = defaultdict(lambda: defaultdict(int))
        for s in await repo.sums(conn, first, last, key, filters):
            folded = counts[_fold(s.key, by) if key == "day" else s.key]
            for name in repo.COUNTS:
                folded[name] += getattr(s, name)
        for h in await repo.histograms(conn, first, last, key, filters):
            hists[(_fold(h.key, by) if key == "day" else h.key, h.kind)][h.days] += h.cases
        total = dict.fromkeys(repo.COUNTS, 0)
        total_hists: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        rows = []
        for k in sorted(counts):
            for name, value in counts[k].items():
                total[name] += value
            for kind in ("acceptance", "completion"):
                for days, cases in hists[(k, kind)].items():
                    total_hists[kind][days] += cases
            rows.append(_figures(k, counts[k], hists[(k, "acceptance")], hists[(k, "completion")]))
        return ServiceFigures(
            from_date=first,
            to_date=last,
            by=by,
            rows=rows,
            total=_figures("total", total, total_hists["acceptance"], total_hists["completion"]),
        )


def _figures(
    key: str, c: dict[str, int], acceptance: dict[int, int], completion: dict[int, int]
) -> ServiceFigureRow:
    return ServiceFigureRow(
        key=key,
        applications=c["applications"],
        accepted=c["accepted"],
        tolerated=c["tolerated"],
        completed=c["completed"],
        completed_online=c["completed_online"],
        online_rate=_rate(c["completed_online"], c["completed"]),
        refused=c["refused"],
        not_accepted=c["not_accepted"],
        acceptance_median_days=_rank(acceptance, 0.5),
        acceptance_p90_days=_rank(acceptance, 0.9),
        completion_median_days=_rank(completion, 0.5),
        completion_p90_days=_rank(completion, 0.9),
        due=c["due"],
        overdue=c["overdue"],
        overdue_rate=_rate(c["overdue"], c["due"]),
        supplement_requests=c["supplement_requests"],
        supplemented=c["supplemented"],
        supplement_rate=_rate(c["supplemented"], c["applications"]),
        repeat_supplemented=c["repeat_supplemented"],
        repeat_supplement_rate=_rate(c["repeat_supplemented"], c["supplemented"]),
    )


CSV_COLUMNS = ServiceFigureRow.__struct_encode_fields__


def as_csv(figures: ServiceFigures) -> str:
    """The rows, then the total, one column per field (camelCase names, as in JSON)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for r in [*figures.rows, figures.total]:
        values = msgspec.to_builtins(r)
        writer.writerow(["" if values[c] is None else values[c] for c in CSV_COLUMNS])
    return out.getvalue()
