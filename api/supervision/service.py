"""Electronic supervision (电子监察, Boluo plan §二(八); docs/supervision.md): the list of open
cases by deadline with their yellow and red flags, and a yellow or red card per department and
China calendar month, pushed to the department's supervisors.

This domain owns the cards only. The facts are the other domains', asked through their
services: open cases, flags and who asks twice (declarations), overdue cases and repeat
supplements (the figures' rollup), late rectifications of bad reviews (reviews), the
department's supervisors and applicants' masked names (identity); the staff message goes
through push."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import cast

from api.calendars.service import Calendars
from api.catalog.service import CatalogService
from api.declarations.service import DeclarationsService
from api.figures.service import FiguresService
from api.identity.service import IdentityService
from api.reviews.service import ReviewsService
from api.supervision import errors
from api.supervision import repository as repo
from api.supervision.schemas import (
    Card,
    CardRules,
    Colour,
    DepartmentCards,
    Flag,
    Reason,
    SupervisedCase,
    SupervisedCasePage,
    SupervisionCards,
)
from core.clock import Clock, china_today
from core.db import Connection, Pool
from core.principals import StaffPrincipal
from core.settings import SupervisionSettings
from push.service import PushService

log = logging.getLogger(__name__)

TREND_MONTHS = 6
COUNTS = ("overdue", "late_rectifications", "repeat_supplements", "asked_twice")
REASON_TEXT: dict[str, str] = {
    "overdue": "超期办件 {n} 件",
    "late_rectifications": "差评未在 3 个工作日内整改 {n} 件",
    "repeat_supplements": "二次补正 {n} 件",
    "asked_twice": "重复索要已提交材料 {n} 次",
}
COLOUR_TEXT = {"yellow": "黄", "red": "红"}


def month_of(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def previous_month(month: date) -> date:
    return (month - timedelta(days=1)).replace(day=1)


def parse_month(text: str) -> date:
    try:
        year, number = text.split("-")
        if len(year) != 4 or len(number) != 2:
            raise ValueError(text)
        return date(int(year), int(number), 1)
    except ValueError as exc:
        raise errors.InvalidMonth("a month is YYYY-MM") from exc


def judge(counts: dict[str, int], rules: SupervisionSettings) -> tuple[str, list[Reason]]:
    """The card of a department's month: red when any count reaches its red threshold, else
    yellow when any reaches its yellow one; the reasons are the counts that did."""
    red_rules: tuple[tuple[Reason, int], ...] = (
        ("overdue", rules.red_overdue),
        ("late_rectifications", rules.red_late_rectifications),
        ("asked_twice", rules.red_asked_twice),
    )
    red = [reason for reason, threshold in red_rules if counts[reason] >= threshold]
    if red:
        return "red", red
    yellow_rules: tuple[tuple[Reason, int], ...] = (
        ("overdue", rules.yellow_overdue),
        ("late_rectifications", rules.yellow_late_rectifications),
        ("repeat_supplements", rules.yellow_repeat_supplements),
        ("asked_twice", rules.yellow_asked_twice),
    )
    yellow = [reason for reason, threshold in yellow_rules if counts[reason] >= threshold]
    return ("yellow", yellow) if yellow else ("none", [])


class SupervisionService:
    def __init__(
        self,
        *,
        pool: Pool,
        settings: SupervisionSettings,
        calendars: Calendars,
        catalog: CatalogService,
        declarations: DeclarationsService,
        figures: FiguresService,
        reviews: ReviewsService,
        identity: IdentityService,
        push: PushService,
        clock: Clock,
    ) -> None:
        self.pool = pool  # for the jobs (tasks.py), which open their transactions
        self.settings = settings
        self._calendars = calendars
        self._catalog = catalog
        self._declarations = declarations
        self._figures = figures
        self._reviews = reviews
        self._identity = identity
        self._push = push
        self.clock = clock

    # --- the list (GET /ops/v1/supervision/cases) ------------------------------------------

    async def cases(
        self,
        conn: Connection,
        staff: StaffPrincipal,
        *,
        department: str | None,
        flag: Flag | None,
        limit: int,
        offset: int,
    ) -> SupervisedCasePage:
        departments = staff.department_scope(department)
        rows = await self._declarations.supervised_cases(
            conn,
            departments=departments,
            flags=None if flag is None else [flag],
            limit=limit,
            offset=offset,
        )
        names = await self._identity.masked_names_of(conn, [r.citizen_id for r in rows])
        departments_named = await self._catalog.department_names(
            conn, [r.department_code for r in rows]
        )
        calendar = await self._calendars.current(conn)
        today = china_today(self.clock.now())
        items = [
            SupervisedCase(
                id=str(r.id),
                case_number=r.case_number,
                item_code=r.item_code,
                item_name=r.item_name,
                department_code=r.department_code,
                department_name=departments_named.get(r.department_code),
                state=r.state,
                applicant=names.get(r.citizen_id),
                submitted_at=r.submitted_at,
                due=r.due,
                due_provisional=r.due_provisional,
                working_days_left=(
                    None if r.due is None else calendar.working_days_between(today, r.due)
                ),
                flag="red"
                if r.supervision == "red"
                else "yellow"
                if r.supervision == "yellow"
                else "none",
                asked_twice=r.asked_twice,
            )
            for r in rows
        ]
        return SupervisedCasePage(
            items=items, total=rows[0].total if rows else 0, limit=limit, offset=offset
        )

    # --- the cards: computed by the monthly job --------------------------------------------

    async def month_to_compute(self, conn: Connection, now: datetime | None = None) -> date | None:
        """The last finished China month, when its cards are not computed yet and the figures
        have swept its last day (its overdue counts are final); None otherwise."""
        this_month = month_of(china_today(now or self.clock.now()))
        month = previous_month(this_month)
        if await repo.month_computed(conn, month):
            return None
        swept = await self._figures.swept_through(conn)
        if swept is None or swept < this_month - timedelta(days=1):
            return None
        return month

    async def compute_cards(
        self, conn: Connection, month: date, now: datetime | None = None
    ) -> list[repo.CardRow]:
        """Every department's card for ``month`` (a China calendar month), saved (a rerun
        replaces them), and each yellow or red card told to the department's supervisors once
        (a rerun tells nobody again; a card that turned from yellow to red is told again)."""
        today = china_today(now or self.clock.now())
        if month != month_of(month) or month >= month_of(today):
            raise errors.InvalidMonth("only a finished month has cards")
        last = next_month(month) - timedelta(days=1)
        counts: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
        figures = await self._figures.service_figures(conn, month, last, "department")
        for f in figures.rows:
            if f.overdue or f.repeat_supplemented:
                counts[f.key]["overdue"] += f.overdue
                counts[f.key]["repeat_supplements"] += f.repeat_supplemented
        late = await self._reviews.late_rectifications(conn, month, last, today)
        for department, n in late.items():
            counts[department]["late_rectifications"] += n
        for r in await self._declarations.asked_twice_by_department(conn, month, last):
            counts[r.department_code]["asked_twice"] += r.count
        counts.pop("", None)  # cases of items without a known department: no one to card
        names = await self._catalog.department_names(conn, list(counts))
        cards = []
        for department in sorted(counts):
            colour, reasons = judge(counts[department], self.settings)
            card = repo.CardRow(
                department_code=department,
                month=month,
                colour=colour,
                reasons=list(reasons),
                **counts[department],
            )
            await repo.save_card(conn, card)
            cards.append(card)
            if colour != "none":
                await self._tell(conn, card, names.get(department, department))
        await repo.mark_month(conn, month)
        return cards

    async def _tell(self, conn: Connection, card: repo.CardRow, name: str) -> None:
        supervisors = await self._identity.department_supervisors(conn, card.department_code)
        if not supervisors:
            log.warning(
                "a card has no department supervisor to go to",
                extra={"department": card.department_code, "month": str(card.month)},
            )
        reasons = "；".join(REASON_TEXT[r].format(n=getattr(card, r)) for r in card.reasons)
        month = card.month.strftime("%Y-%m")
        for staff_id in supervisors:
            await self._push.notify_staff(
                conn,
                staff_id,
                "supervision.card",
                {
                    "colour": COLOUR_TEXT[card.colour],
                    "department": name,
                    "month": month,
                    "reasons": reasons,
                },
                dedupe_key=f"card:{card.department_code}:{month}:{card.colour}",
                link=f"/ops/console/#/supervision?department={card.department_code}",
            )

    # --- the cards with their trend (GET /ops/v1/supervision/cards) -------------------------

    async def cards(
        self,
        conn: Connection,
        staff: StaffPrincipal,
        *,
        department: str | None,
        to_month: str | None,
        months: int = TREND_MONTHS,
    ) -> SupervisionCards:
        """The cards of ``months`` China months up to ``to_month`` (default: the last finished
        one), oldest first, per department in the caller's scope."""
        departments = staff.department_scope(department)
        last = (
            parse_month(to_month)
            if to_month
            else previous_month(month_of(china_today(self.clock.now())))
        )
        span = [last]
        while len(span) < months:
            span.insert(0, previous_month(span[0]))
        rows = await repo.cards(conn, span[0], last, departments)
        computed = await repo.computed_months(conn, span[0], last)
        by_department: dict[str, dict[date, repo.CardRow]] = defaultdict(dict)
        for r in rows:
            by_department[r.department_code][r.month] = r
        for code in departments or ():
            by_department.setdefault(code, {})
        names = await self._catalog.department_names(conn, list(by_department))
        answer = []
        for code in sorted(by_department):
            cards = []
            for month in span:
                row = by_department[code].get(month)
                cards.append(
                    Card(
                        month=month.strftime("%Y-%m"),
                        colour=cast("Colour", row.colour) if row else "none",
                        reasons=cast("list[Reason]", list(row.reasons)) if row else [],
                        overdue=row.overdue if row else 0,
                        late_rectifications=row.late_rectifications if row else 0,
                        repeat_supplements=row.repeat_supplements if row else 0,
                        asked_twice=row.asked_twice if row else 0,
                        computed=month in computed,
                    )
                )
            answer.append(
                DepartmentCards(department_code=code, department_name=names.get(code), months=cards)
            )
        s = self.settings
        return SupervisionCards(
            months=[m.strftime("%Y-%m") for m in span],
            departments=answer,
            rules=CardRules(
                red_overdue=s.red_overdue,
                red_late_rectifications=s.red_late_rectifications,
                red_asked_twice=s.red_asked_twice,
                yellow_overdue=s.yellow_overdue,
                yellow_late_rectifications=s.yellow_late_rectifications,
                yellow_repeat_supplements=s.yellow_repeat_supplements,
                yellow_asked_twice=s.yellow_asked_twice,
            ),
        )


__all__ = ["SupervisionService", "judge", "parse_month"]
