"""Electronic supervision (电子监察) of open cases' deadlines, and their recompute when the
working-day calendar changes."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from api.declarations import repository as repo
from api.declarations.schemas import DepartmentCountRow, SupervisedRow
from api.declarations.service.base import DEADLINES, PRE_REVIEW_DAYS, DeclarationsBase, due_text
from core.clock import china_today
from core.db import Connection
from core.workdays import WorkingCalendar

log = logging.getLogger(__name__)


class Supervision(DeclarationsBase):
    async def supervise(self, conn: Connection, now: datetime | None = None) -> int:
        """Yellow when a deadline is one working day away or less, red once it has passed; the
        citizen is told when a case turns yellow. ``today`` is China's day of ``now`` (default:
        the service's clock). Returns how many flags changed."""
        today = china_today(now or self.clock.now())
        changed = 0
        calendar = await self._calendars.current(conn)
        for row in await repo.open_with_deadlines(conn):
            due = row.promised_due if row.state != "submitted" else row.pre_review_due
            if due is None:  # left empty before migration 0018; the recompute job fills it
                continue
            left = calendar.working_days_between(today, due)
            flag = "red" if today > due else "yellow" if left <= 1 else "none"
            if flag == row.supervision:
                continue
            await repo.update(conn, row.id, supervision=flag)
            changed += 1
            if flag == "yellow":
                await self._push.notify(
                    conn,
                    row.citizen_id,
                    "declaration.overdue_warning",
                    {"item": row.item_name},
                    dedupe_key=f"{row.id}:yellow:{due}",
                )
        return changed

    async def recompute_deadlines(self, conn: Connection, calendar: WorkingCalendar) -> int:
        """The calendar changed (a notice imported): every open case's deadlines are counted
        again from what they count from; a citizen whose current deadline (the one
        supervision watches) moved is told. Returns how many were told."""
        moved = 0
        for row in await repo.open_deadline_bases(conn):
            watched, label = DEADLINES[row.state]
            bases = {
                "pre_review": (
                    row.pre_review_from,
                    PRE_REVIEW_DAYS,
                    row.pre_review_due,
                    row.pre_review_due_provisional,
                ),
                "promised": (
                    row.promised_from,
                    row.promised_days,
                    row.promised_due,
                    row.promised_due_provisional,
                ),
            }
            changes: dict[str, Any] = {}
            for kind, (start, days, old, old_provisional) in bases.items():
                if start is None or days is None:
                    if kind == watched:
                        log.error("deadline without its basis", extra={"id": str(row.id)})
                    continue
                due = calendar.add_working_days(start, days)
                if (old, old_provisional) == tuple(due):
                    continue
                changes |= {f"{kind}_due": due.day, f"{kind}_due_provisional": due.provisional}
                if kind == watched and old is not None and old != due.day:
                    moved += 1
                    await self._push.notify(
                        conn,
                        row.citizen_id,
                        "deadline.moved",
                        {
                            "item": row.item_name,
                            "deadline": label,
                            "old": str(old),
                            "new": due_text(due.day, provisional=due.provisional),
                        },
                        dedupe_key=f"{row.id}:{kind}-moved:{due.day}",
                        link=f"/pages/declaration/index?id={row.id}",
                    )
            if changes:
                await repo.update(conn, row.id, **changes)
        return moved

    # --- for supervision (api.supervision): the list of open cases, who asks twice --------

    async def supervised_cases(
        self,
        conn: Connection,
        *,
        departments: Sequence[str] | None,
        flags: Sequence[str] | None,
        limit: int,
        offset: int,
    ) -> list[SupervisedRow]:
        """Open cases (submitted, accepted, processing) by the deadline supervision watches,
        soonest first, with the hourly flag (``supervise``); ``departments``/``flags``: only
        those (None: all). Each row carries the list's total."""
        return await repo.supervised(conn, departments, flags, limit, offset)

    async def asked_twice_by_department(
        self, conn: Connection, first: date, last: date
    ) -> list[DepartmentCountRow]:
        """Materials asked for twice (Yongchang Art. 17) by requests made on these China days,
        per department."""
        return await repo.asked_twice_by_department(conn, first, last)
