"""The official working-day calendar as data: load it, keep every process current, import a
year's notice from the State Council, and say when next year's notice is missing.

The arithmetic is ``core.workdays.WorkingCalendar`` (pure); this module feeds it from the
``calendar_years``/``calendar_days`` tables. Each process holds one calendar and its version:

- whoever computes a deadline asks ``Calendars.for_deadline(conn)`` inside the transaction that
  stores it: one round trip reads the version under a shared lock (reloading when it changed),
  so a deadline is never computed on a calendar older than the last committed import;
- the recompute job enqueued by an import takes that lock exclusively (``for_recompute``), so
  it waits for deadlines computed just before the import, and sees them;
- a background task re-reads the version every ``refresh_s`` seconds, for supervision's flags,
  the gauge and the console.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tomllib
from collections.abc import Callable
from datetime import date, timedelta

import msgspec
from prometheus_client import Gauge

from api.calendars import errors
from api.calendars import repository as repo
from api.calendars.schemas import (
    FIRST_YEAR,
    LAST_YEAR,
    CalendarDay,
    CalendarOverview,
    CalendarYear,
    ImportResult,
    Notice,
    YearSummary,
)
from api.calendars.tasks import RECOMPUTE_JOB, RecomputeJob
from core import audit, jobs
from core.audit import ActorType
from core.clock import china_today
from core.db import Connection, Pool
from core.workdays import LIBRARY_SOURCE, WorkingCalendar, library_calendar

log = logging.getLogger(__name__)

WARN_FROM = (12, 1)  # month, day: when next year's notice is expected to be loaded

NEXT_YEAR_MISSING = Gauge(
    "handheld_calendar_next_year_missing",
    "1 while deadlines can reach a year without the State Council's notice: this year, or from "
    "1 December next year (its deadlines are provisional until the notice is imported)",
    # Every API process computes the same value: with several (`handheld serve --workers N`,
    # prometheus-client's multiprocess mode) the last one set is the answer, not one per pid.
    multiprocess_mode="mostrecent",
)


def _today_in_china() -> date:
    return china_today()


async def _load(conn: Connection) -> WorkingCalendar:
    """The calendar as the database holds it now."""
    version = await repo.version(conn)
    holidays: dict[date, str] = {}
    workdays: dict[date, str] = {}
    for row in await repo.days(conn):
        (holidays if row.kind == "holiday" else workdays)[row.day] = row.name
    return WorkingCalendar(
        official_years=[r.year for r in await repo.years(conn)],
        holidays=holidays,
        workdays=workdays,
        version=version,
    )


class Calendars:
    """This process's working calendar, kept current (see the module's docstring)."""

    def __init__(
        self, pool: Pool, *, refresh_s: float = 30.0, today: Callable[[], date] | None = None
    ) -> None:
        self.pool = pool
        self._refresh_s = refresh_s
        self.calendar = WorkingCalendar(official_years=(), holidays={}, workdays={}, version=-1)
        # Where "today" comes from for the warning (tests set it).
        self.today = today or _today_in_china
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        async with self.pool.acquire() as conn:
            self.calendar = await _load(conn)
        self._task = asyncio.create_task(self._refresh(), name="calendar-refresh")
        NEXT_YEAR_MISSING.set_function(lambda: 1.0 if self.warning() else 0.0)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _refresh(self) -> None:
        while True:
            await asyncio.sleep(self._refresh_s)
            try:
                await self.current()
            except Exception:  # the database may be away for a while
                log.warning("calendar refresh failed; keeping the one held", exc_info=True)

    async def _at(self, conn: Connection, version: int) -> WorkingCalendar:
        if version != self.calendar.version:
            self.calendar = await _load(conn)
        return self.calendar

    async def for_deadline(self, conn: Connection) -> WorkingCalendar:
        """The calendar to compute a deadline with, in the transaction that stores it."""
        return await self._at(conn, await repo.version_for_deadline(conn))

    async def for_recompute(self, conn: Connection) -> WorkingCalendar:
        """The latest calendar, once every deadline computed before it has been stored. The
        rest of the transaction gives way to row locks: a transaction holding an open case
        while it waits for the deadline lock (held here now) makes the recompute fail and be
        retried, instead of a deadlock that PostgreSQL may settle by aborting the other one."""
        await repo.lock_deadlines(conn)
        await repo.give_way_to_row_locks(conn)
        return await self._at(conn, await repo.version(conn))

    async def recomputed(self, conn: Connection, calendar: WorkingCalendar) -> None:
        """Every open deadline now counts on ``calendar`` (in the recompute's transaction)."""
        await repo.mark_recomputed(conn, calendar.version)

    async def current(self, conn: Connection | None = None) -> WorkingCalendar:
        """The latest committed calendar (no lock: for flags and reports)."""
        if conn is not None:
            return await self._at(conn, await repo.version(conn))
        async with self.pool.acquire() as c:
            return await self._at(c, await repo.version(c))

    def warning(self) -> str | None:
        """Why deadlines may be provisional now, or None: this year has no notice, or from
        1 December next year has none."""
        today = self.today()
        if not self.calendar.is_official(today.year):
            return f"year {today.year} not imported: deadlines are provisional"
        following = today.year + 1
        if (today.month, today.day) >= WARN_FROM and not self.calendar.is_official(following):
            return f"next year {following} not imported"
        return None

    # --- reading, for staff ----------------------------------------------------------------

    async def overview(self, conn: Connection) -> CalendarOverview:
        calendar = await self.current(conn)
        return CalendarOverview(
            today=self.today(),
            calendar_version=calendar.version,
            official_years=[
                YearSummary(
                    year=r.year,
                    source=r.source,
                    source_url=r.source_url,
                    imported_by=r.imported_by,
                    imported_at=r.imported_at,
                    holidays=r.holidays,
                    workdays=r.workdays,
                )
                for r in await repo.years(conn)
            ],
            warning=self.warning(),
        )

    async def year(self, conn: Connection, year: int) -> CalendarYear:
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise errors.YearOutOfRange()
        calendar = await self.current(conn)
        holidays, workdays = calendar.year_days(year)
        row = await repo.year(conn, year)
        return CalendarYear(
            year=year,
            official=row is not None,
            source=row.source if row else None,
            source_url=row.source_url if row else None,
            imported_by=row.imported_by if row else None,
            imported_at=row.imported_at if row else None,
            holidays=[CalendarDay(day=d, name=n) for d, n in holidays.items()],
            workdays=[CalendarDay(day=d, name=n) for d, n in workdays.items()],
        )

    # --- importing, for staff and the worker -----------------------------------------------

    async def import_notice(
        self,
        conn: Connection,
        notice: Notice,
        *,
        imported_by: str,
        actor_type: ActorType,
        actor_id: str,
        ip: str | None = None,
    ) -> ImportResult:
        """The year's notice replaces what the calendar held for it (official or provisional);
        every open deadline is recomputed by one job, enqueued in this transaction."""
        version = await repo.bump_version(conn)  # first: a concurrent import waits here
        days = notice_days(notice)
        replaced = await repo.replace_year(
            conn,
            notice.year,
            source=notice.source,
            source_url=notice.url,
            imported_by=imported_by,
            days=days,
        )
        await jobs.enqueue(
            conn, RECOMPUTE_JOB, RecomputeJob(version), dedupe_key=f"{RECOMPUTE_JOB}:{version}"
        )
        holidays = sum(1 for _, kind, _ in days if kind == "holiday")
        await audit.append(
            conn,
            actor_type=actor_type,
            actor_id=actor_id,
            action="calendar.import",
            target_type="calendar_year",
            target_id=str(notice.year),
            details={
                "source": notice.source,
                "url": notice.url,
                "holidays": holidays,
                "workdays": len(days) - holidays,
                "replaced": replaced,
                "version": version,
            },
            ip=ip,
        )
        log.info(
            "calendar notice imported",
            extra={"year": notice.year, "by": imported_by, "version": version},
        )
        return ImportResult(
            year=notice.year,
            source=notice.source,
            holidays=holidays,
            workdays=len(days) - holidays,
            replaced=replaced,
            calendar_version=version,
        )

    async def ensure_library_years(self, conn: Connection) -> int:
        """Add the years the installed chinesecalendar knows and the database does not (a newer
        release than the one migration 0018 transcribed); notices imported by hand stay as they
        are. Enqueues the recompute of open deadlines unless one has committed for this
        version already (the first one fills deadlines left empty before migration 0018).
        Returns the version."""
        library = library_calendar()
        known = {r.year for r in await repo.years(conn)}
        missing = sorted(library.official_years - known)
        version = await repo.version(conn)
        if missing:
            version = await repo.bump_version(conn)
            for year in missing:
                holidays, workdays = library.year_days(year)
                await repo.add_year_if_missing(
                    conn,
                    year,
                    source=LIBRARY_SOURCE,
                    imported_by="worker start",
                    days=sorted(
                        [(d, "holiday", n) for d, n in holidays.items()]
                        + [(d, "workday", n) for d, n in workdays.items()]
                    ),
                )
            await audit.append(
                conn,
                actor_type="system",
                actor_id="worker",
                action="calendar.import",
                target_type="calendar_year",
                target_id=",".join(map(str, missing)),
                details={"source": LIBRARY_SOURCE, "version": version},
            )
            log.info("calendar years added from the library", extra={"years": missing})
        if version > await repo.recomputed_version(conn):
            await jobs.enqueue(
                conn, RECOMPUTE_JOB, RecomputeJob(version), dedupe_key=f"{RECOMPUTE_JOB}:{version}"
            )
        return version


# --- the notice file -------------------------------------------------------------------------

_MAX_HOLIDAY_DAYS = 31


def parse_notice(text: str) -> Notice:
    """A notice file (docs/calendar-notice.md) checked in full: every problem found is listed
    in the ``NoticeInvalid`` error, in Chinese, with where it is."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise errors.NoticeInvalid(
            problems=[{"at": "", "problem": f"不是有效的 TOML：{exc}"}]
        ) from exc
    try:
        notice = msgspec.convert(raw, Notice, strict=False)
    except msgspec.ValidationError as exc:
        raise errors.NoticeInvalid(problems=[{"at": "", "problem": f"格式不符：{exc}"}]) from exc
    problems = _problems(notice)
    if problems:
        raise errors.NoticeInvalid(problems=problems)
    return notice


def _problems(notice: Notice) -> list[dict[str, str]]:
    found: list[dict[str, str]] = []
    year = notice.year
    earliest, latest = date(year - 1, 12, 1), date(year, 12, 31)
    if notice.url is not None and not notice.url.startswith(("https://", "http://")):
        found.append({"at": "url", "problem": "链接须以 https:// 或 http:// 开头"})
    seen: dict[date, str] = {}
    for i, h in enumerate(notice.holiday):
        at = f"holiday[{i}]"
        last = h.last or h.first
        if last < h.first:
            found.append({"at": f"{at}.to", "problem": "结束日期早于开始日期"})
            continue
        if (last - h.first).days + 1 > _MAX_HOLIDAY_DAYS:
            found.append({"at": f"{at}.to", "problem": f"一个假期不超过{_MAX_HOLIDAY_DAYS}天"})
            continue
        days = [h.first + timedelta(days=n) for n in range((last - h.first).days + 1)]
        for day, kind in [*((d, "holiday") for d in days), *((d, "workday") for d in h.workdays)]:
            where = f"{at}.{'from' if kind == 'holiday' else 'workdays'}"
            if not earliest <= day <= latest:
                found.append({"at": where, "problem": f"{day} 不在{year}年通知的范围内"})
            elif kind == "workday" and day.weekday() < 5:
                found.append({"at": where, "problem": f"{day} 不是周六或周日，不能是调休上班日"})
            elif day in seen:
                found.append({"at": where, "problem": f"{day} 重复出现（{seen[day]}）"})
            else:
                seen[day] = h.name
    return found


def notice_days(notice: Notice) -> list[tuple[date, str, str]]:
    """(day, kind, name) for every day the notice lists."""
    out: list[tuple[date, str, str]] = []
    for h in notice.holiday:
        last = h.last or h.first
        out += [
            (h.first + timedelta(days=n), "holiday", h.name)
            for n in range((last - h.first).days + 1)
        ]
        out += [(d, "workday", h.name) for d in h.workdays]
    return sorted(out)
