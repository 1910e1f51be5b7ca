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
from api.figures.schemas import (
    By,
    PublicFigures,
    PublicMonth,
    PushReach,
    RollUpReport,
    ServiceFigureRow,
    ServiceFigures,
    SettleReport,
)
from api.reviews.service import ReviewsService
from core.clock import CHINA_TZ, Clock, china_today
from core.db import Connection, Pool
from payments.service import PaymentsService
from push.service import PushService

# Timeline entries per batch: one transaction of the job. A batch's cost is mostly per rollup
# row it touches (slice-days: every item and channel on the ~3 weeks a case's moves span), and
# that count hardly grows with the batch: a million entries cost little more than 100k.
BATCH_EVENTS = 1_000_000
# The histograms' last bucket holds this many working days or more.
MAX_DAYS = 250
# The longest period one answer covers (day rows are folded in memory for weeks and months).
MAX_PERIOD_DAYS = 3 * 366
_BEFORE_ANY_DEADLINE = date(1999, 12, 31)
# Deadline days swept per batch at most.
SWEEP_DAYS = 14
# Ratings (their bad ones rectified within 3 working days, which a Spring Festival stretches to
# about ten calendar days), payments and push receipts still change for some days: the settled
# figures of the last SETTLE_DAYS days are computed again on every settling run, then frozen.
SETTLE_DAYS = 21
_BEFORE_ANY_FACT = date(2000, 1, 1)
# Public figures: at most three years a request; answers kept this long in the process.
MAX_PUBLIC_MONTHS = 36
PUBLIC_CACHE_SECONDS = 300.0


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


def _fold(day: str, by: By) -> str:
    d = date.fromisoformat(day)
    if by == "week":
        return (d - timedelta(days=d.weekday())).isoformat()
    if by == "month":
        return d.replace(day=1).isoformat()
    return day


class FiguresService:
    def __init__(
        self,
        *,
        pool: Pool,
        declarations: DeclarationsService,
        reviews: ReviewsService,
        payments: PaymentsService,
        push: PushService,
        clock: Clock,
    ) -> None:
        self.pool = pool  # for the jobs (tasks.py), which open their transactions
        self._declarations = declarations
        self._reviews = reviews
        self._payments = payments
        self._push = push
        self.clock = clock
        self._public: dict[tuple[str, str], tuple[float, PublicFigures]] = {}
        self._encoder = msgspec.json.Encoder()

    def encode(self, answer: PublicFigures) -> bytes:
        return self._encoder.encode(answer)

    # --- the rollup (the job: tasks.ROLL_UP_JOB) ------------------------------------------

    async def roll_up(
        self, conn: Connection, *, limit: int = BATCH_EVENTS, now: datetime | None = None
    ) -> RollUpReport:
        """One batch: the timeline entries of about ``limit`` more finished transactions, and
        the deadlines that passed since the last sweep, added to the rollup with the progress
        moved on, all in the caller's transaction. Runs take turns on the progress row, so a
        concurrent or retried run adds nothing twice. Set-based: declarations stages the
        batch's rows in a temporary table, one statement adds them to the rollup."""
        progress = await repo.lock_progress(conn)
        d = self._declarations
        horizon = await d.event_horizon(conn)
        await repo.open_batch(conn)
        await repo.tune_batch(conn)
        start, end = progress.events_below, progress.events_below
        if start < horizon:
            end = await d.figure_batch_end(conn, start, horizon, limit)
            await d.stage_figure_moves(conn, start, end, MAX_DAYS)
        swept = progress.swept_through
        yesterday = china_today(now or self.clock.now()) - timedelta(days=1)
        if swept is None:  # the first run: from the day before the earliest deadline
            earliest = await d.earliest_due(conn)
            swept = _BEFORE_ANY_DEADLINE if earliest is None else earliest - timedelta(days=1)
        if swept < yesterday:
            # A few weeks of deadlines a batch: a first run over years of cases stays a batch
            # of bounded size too.
            through = min(yesterday, swept + timedelta(days=SWEEP_DAYS))
            await d.stage_figure_dues(conn, swept, through)
            swept = through
        moves, rows = await repo.merge_batch(conn)
        await repo.save_progress(conn, end, swept)
        return RollUpReport(moves=moves, rows=rows, more=end < horizon or swept < yesterday)

    async def settle(self, conn: Connection, *, now: datetime | None = None) -> SettleReport:
        """The settled figures (ratings, payments, push reach) of the days not frozen yet,
        computed again from their domains and replaced; days older than ``SETTLE_DAYS`` are
        frozen after. The first run takes all history."""
        progress = await repo.lock_progress(conn)
        today = china_today(now or self.clock.now())
        since = progress.settled_before or _BEFORE_ANY_FACT
        moment = datetime.combine(since, datetime.min.time(), CHINA_TZ)
        await repo.open_facts(conn)
        await self._reviews.stage_figures(conn, moment)
        await self._payments.staff.stage_figures(conn, moment)
        await self._declarations.stage_figure_slices(conn)
        rows = await repo.replace_settled(conn, since)
        reach = await self._push.reach_by_day(conn, moment)
        await repo.replace_reach(conn, since, [msgspec.structs.asdict(r) for r in reach])
        await repo.save_settled(conn, max(since, today - timedelta(days=SETTLE_DAYS)))
        return SettleReport(since=since, rows=rows)

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
            for kind in repo.KINDS:
                for days, cases in hists[(k, kind)].items():
                    total_hists[kind][days] += cases
            rows.append(_figures(k, counts[k], {kind: hists[(k, kind)] for kind in repo.KINDS}))
        return ServiceFigures(
            from_date=first,
            to_date=last,
            by=by,
            rows=rows,
            total=_figures("total", total, total_hists),
            push_reach=[
                PushReach(
                    channel=r.channel,
                    sent=r.sent,
                    delivered=r.delivered,
                    read=r.read,
                    failed=r.failed,
                    quota_misses=r.quota_misses,
                )
                for r in sorted(
                    await repo.reach(conn, first, last, by_day=False),
                    key=lambda r: _CHANNELS.index(r.channel),
                )
            ],
        )

    # --- public figures (GET /public/v1/figures/monthly) ------------------------------------

    async def public_figures(self, conn: Connection, first: date, last: date) -> PublicFigures:
        """The province's figures per month from ``first``'s month to ``last``'s (first days of
        months), kept in the process for a few minutes: the rollup moves once a minute, and
        the answer is the same for everyone."""
        if first > last:
            raise errors.InvalidPeriod("from is after to")
        span = (last.year - first.year) * 12 + last.month - first.month + 1
        if span > MAX_PUBLIC_MONTHS:
            raise errors.InvalidPeriod(f"at most {MAX_PUBLIC_MONTHS} months")
        key = (first.isoformat(), last.isoformat())
        moment = self.clock.now().timestamp()
        cached = self._public.get(key)
        if cached is not None and cached[0] > moment:
            return cached[1]
        end = _next_month(last) - timedelta(days=1)
        found = {m.month: m for m in await repo.months(conn, first, end)}
        months, month = [], first
        while month <= last:
            m = found.get(month)
            months.append(
                PublicMonth(
                    month=month.strftime("%Y-%m"),
                    applications=m.applications if m else 0,
                    completed=m.completed if m else 0,
                    online_rate=_rate(m.completed_online, m.completed) if m else None,
                    reviews=m.reviews if m else 0,
                    satisfaction=_rate(m.good_reviews, m.reviews) if m else None,
                    average_acceptance_days=_mean(m.acceptance_days, m.acceptance_cases)
                    if m
                    else None,
                    average_completion_days=_mean(m.completion_days, m.completion_cases)
                    if m
                    else None,
                )
            )
            month = _next_month(month)
        answer = PublicFigures(
            from_month=first.strftime("%Y-%m"), to_month=last.strftime("%Y-%m"), months=months
        )
        if len(self._public) > 64:
            self._public.clear()
        self._public[key] = (moment + PUBLIC_CACHE_SECONDS, answer)
        return answer


_CHANNELS = ("inbox", "wechat", "app", "sms")


def _next_month(d: date) -> date:
    return date(d.year + d.month // 12, d.month % 12 + 1, 1)


def _mean(total: int, cases: int) -> float | None:
    return round(total / cases, 2) if cases else None


def _figures(key: str, c: dict[str, int], h: dict[str, dict[int, int]]) -> ServiceFigureRow:
    acceptance, completion, promised = h["acceptance"], h["completion"], h["promised"]
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
        completed_in_time=c["completed_in_time"],
        in_time_rate=_rate(c["completed_in_time"], c["completed"]),
        promised_median_days=_rank(promised, 0.5),
        promised_p90_days=_rank(promised, 0.9),
        due=c["due"],
        overdue=c["overdue"],
        overdue_rate=_rate(c["overdue"], c["due"]),
        supplement_requests=c["supplement_requests"],
        supplemented=c["supplemented"],
        supplement_rate=_rate(c["supplemented"], c["applications"]),
        repeat_supplemented=c["repeat_supplemented"],
        repeat_supplement_rate=_rate(c["repeat_supplemented"], c["supplemented"]),
        reviews=c["reviews"],
        good_reviews=c["good_reviews"],
        good_rate=_rate(c["good_reviews"], c["reviews"]),
        bad_reviews=c["bad_reviews"],
        bad_rectified_in_time=c["bad_rectified_in_time"],
        rectified_rate=_rate(c["bad_rectified_in_time"], c["bad_reviews"]),
        payment_orders=c["payment_orders"],
        payments_paid=c["payments_paid"],
        payment_success_rate=_rate(c["payments_paid"], c["payment_orders"]),
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


PUBLIC_CSV_COLUMNS = PublicMonth.__struct_encode_fields__


def public_csv(figures: PublicFigures) -> str:
    """One row per month, one column per field (camelCase, as in JSON); empty for no value."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(PUBLIC_CSV_COLUMNS)
    for month in figures.months:
        values = msgspec.to_builtins(month)
        writer.writerow(["" if values[c] is None else values[c] for c in PUBLIC_CSV_COLUMNS])
    return out.getvalue()
