"""Declaration rules: drafts, materials, submission that is never lost, the platform's events.

``DeclarationsService`` is one object (one dependency for handlers and jobs) composed of one
mixin per use case, each in its own module:

- ``reading``: a declaration in full, the citizen's list (``Reading``, which the others build on)
- ``drafting``: start a draft, save its form
- ``materials``: uploads, library files and e-licences attached; materials as a case sends them
- ``submission``: submit, deliver to the platform (read / call / record), refusal, redraft
- ``supplements``: 补正 and 容缺, and their deliveries
- ``withdrawal``: take a declaration back
- ``supervision``: deadline flags, deadlines recomputed when the calendar changes
- ``platform_events``: the platform's callbacks stored once and applied in sequence
- ``fees_and_licences``: fee notices, the payment's echo, the issued licence into the wallet

Mixins rather than collaborator objects: the use cases share one state (the collaborators in
``base.DeclarationsBase``) and one way to answer (``Reading._detail``), and a mixin reaches
them as ``self`` without a second layer of wiring. Each mixin inherits what it calls, so mypy
checks every call across modules.

Every method that touches the database takes the caller's connection first: the request's
transaction, or the one a job opens (``api.declarations.tasks``). The service never opens a
transaction of its own; it reaches other domains only through their services.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import msgspec

from api.declarations import repository as repo
from api.declarations.service.base import (
    PRE_REVIEW_DAYS,
    STATE_EVENTS,
    SUBMIT_ROUTE,
    DeclarationMoved,
    FeeNotices,
    StateFollower,
    refusal_text,
)
from api.declarations.service.drafting import Drafting
from api.declarations.service.submission import Submission, SubmissionSent
from api.declarations.service.supervision import Supervision
from api.declarations.service.supplements import Supplements
from api.declarations.service.withdrawal import Withdrawal
from core.clock import china_today
from core.db import Connection
from core.workdays import WorkingCalendar


class DeclarationForReview(msgspec.Struct, frozen=True, kw_only=True):
    """What good/bad review needs of a declaration: whose it is, how far it went, its item and
    the platform's case number."""

    id: uuid.UUID
    citizen_id: uuid.UUID
    state: str
    item_code: str
    item_name: str
    case_number: str | None


class MaterialForHall(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    name: str
    required: bool
    provided: bool
    file_name: str | None
    licence_number: str | None


class DeclarationForHall(msgspec.Struct, frozen=True, kw_only=True):
    """What an appointment needs of a declaration: its item and state, and for the hall's
    window the materials the citizen has already given."""

    id: uuid.UUID
    state: str
    item_code: str
    materials: list[MaterialForHall]


class DeclarationsService(Drafting, Submission, Supplements, Withdrawal, Supervision):
    """Every use case of declarations (see the package's docstring for where each lives)."""

    # --- for push ---

    async def push_applicants(
        self, conn: Connection, item_code: str, *, after: uuid.UUID, limit: int
    ) -> list[uuid.UUID]:
        """Who applied for an item (a notice's audience): push.service.recipients.Applicants."""
        return await repo.applicant_ids(conn, item_code, after=after, limit=limit)

    # --- for reviews ---

    async def for_review(
        self, conn: Connection, declaration_id: uuid.UUID
    ) -> DeclarationForReview | None:
        """A declaration as a rating or a rectification ticket sees it; None when unknown."""
        row = await repo.rated_declaration(conn, declaration_id)
        return None if row is None else DeclarationForReview(**msgspec.structs.asdict(row))

    # --- for halls ---

    async def for_hall(
        self, conn: Connection, citizen_id: uuid.UUID, declaration_id: uuid.UUID
    ) -> DeclarationForHall | None:
        """The citizen's declaration as a booking carries it; None when it is not theirs."""
        row = await repo.get(conn, declaration_id, citizen_id)
        if row is None:
            return None
        item = await self._item(conn, row.item_code)
        attached = {a.material_code: a for a in await repo.attached(conn, row.id)}
        return DeclarationForHall(
            id=row.id,
            state=row.state,
            item_code=row.item_code,
            materials=[
                MaterialForHall(
                    code=m.code,
                    name=m.name,
                    required=m.required,
                    provided=m.code in attached,
                    file_name=attached[m.code].display_name if m.code in attached else None,
                    licence_number=attached[m.code].licence_number if m.code in attached else None,
                )
                for m in item.guide.materials
            ],
        )

    # --- for figures (api.figures keeps the daily rollup these facts are summed into) ---

    async def event_horizon(self, conn: Connection) -> int:
        """The transaction id below which every timeline entry is final (see repository)."""
        return await repo.event_horizon(conn)

    async def figure_batch_end(
        self, conn: Connection, events_from: int, horizon: int, limit: int
    ) -> int:
        return await repo.events_upper_bound(conn, events_from, horizon, limit)

    async def stage_figure_moves(
        self, conn: Connection, events_from: int, events_below: int, max_days: int
    ) -> None:
        """Into the caller's ``figure_batch`` (api.figures.repository.open_batch): the moves of
        the entries written by transactions in [events_from, events_below) per slice-day, and
        working days from application to acceptance, from acceptance to completion and the
        promised limit of those completions, on the official calendar (capped at
        ``max_days``)."""
        calendar = await self._calendars.current(conn)
        first_day, working = self._working_index(calendar)
        await repo.stage_figure_moves(conn, events_from, events_below, first_day, working, max_days)

    async def stage_figure_dues(self, conn: Connection, after: date, through: date) -> None:
        """Into ``figure_batch``: cases due on the days in (after, through] and those late."""
        await repo.stage_figure_dues(conn, after, through)

    async def earliest_due(self, conn: Connection) -> date | None:
        """The earliest promised deadline of any case (None when no case has one)."""
        return await repo.earliest_due(conn)

    async def stage_figure_slices(self, conn: Connection) -> None:
        """The caller's ``figure_facts`` rows (other domains' facts of a declaration) get the
        declaration's slice: item, department, region, channel."""
        await repo.stage_figure_slices(conn)

    def _working_index(self, calendar: WorkingCalendar) -> tuple[date, list[int]]:
        """Working days in (FIRST_DAY, day] for every day up to 400 days from today: one
        subtraction in SQL then counts the working days between two days."""
        last = china_today(self.clock.now()) + timedelta(days=400)
        cached = self._working_cache
        if cached is not None and cached[0] is calendar and cached[1] == last:
            return _FIRST_DAY, cached[2]
        working, count, day = [0], 0, _FIRST_DAY
        year_days: dict[int, tuple[dict[date, str], dict[date, str]]] = {}
        while day < last:
            day += timedelta(days=1)
            # The year's days once (the provisional rule computes lunar dates per call).
            if day.year not in year_days:
                year_days[day.year] = calendar.year_days(day.year)
            holidays, workdays = year_days[day.year]
            count += day in workdays or (day not in holidays and day.weekday() < 5)
            working.append(count)
        self._working_cache = (calendar, last, working)
        return _FIRST_DAY, working


_FIRST_DAY = date(2000, 1, 1)


async def absorb_citizen(conn: Connection, source: uuid.UUID, target: uuid.UUID) -> dict[str, int]:
    """One person, one account: ``source``'s declarations and material library become
    ``target``'s (called by api.identity when it joins a person's accounts)."""
    return await repo.absorb_citizen(conn, source, target)


__all__ = [
    "PRE_REVIEW_DAYS",
    "STATE_EVENTS",
    "SUBMIT_ROUTE",
    "DeclarationForReview",
    "DeclarationMoved",
    "DeclarationsService",
    "FeeNotices",
    "StateFollower",
    "SubmissionSent",
    "absorb_citizen",
    "refusal_text",
]
