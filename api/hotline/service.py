"""Consultation, complaints and suggestions through the 12345 hotline.

A citizen files a ticket about an item, a department or one of their declarations; a job files
it with 12345 under our ticket's id (12345 keeps one ticket per request id, so a retried job
never makes two); 12345 tells us of each step by a signed callback, stored once (an inbox) and
applied in its sequence order by a job; the reply is pushed to the citizen, who may rate it.
The reply deadline is counted on the working-day calendar and flagged like review tickets.

Why callbacks rather than polling 12345: a reply reaches the citizen within seconds of the
department answering, the cost follows the number of steps rather than open tickets times the
polling rate, and 12345 retries every event until we acknowledge it. The filing job also
stores the events the filing answer lists, so nothing depends on a callback that raced it."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import msgspec

from api.calendars.service import Calendars
from api.catalog.errors import ItemNotFound
from api.catalog.service import CatalogService
from api.declarations.service import DeclarationsService
from api.hotline import errors
from api.hotline import repository as repo
from api.hotline.rules import (
    ANSWERED,
    EVENT_LABELS,
    KIND_LABELS,
    REFUSED_LABEL,
    SATISFACTION_LABELS,
    STATE_AFTER,
    STATE_LABELS,
    flag_of,
    on_time,
    reply_days,
    reply_due,
)
from api.hotline.schemas import (
    DepartmentFigures,
    HotlineFigures,
    HotlineTicket,
    HotlineTicketPage,
    NewTicket,
    RateReply,
    StaffHotlineTicket,
    StaffTicketPage,
    TimelineEntry,
)
from api.hotline.tasks import APPLY_JOB, FILE_JOB, RATE_JOB, TicketJob
from api.identity.service import IdentityService
from api.reviews.service import ReviewsService
from core import jobs
from core.clients.hotline import (
    Department,
    HotlineClient,
    HotlineEvent,
    HotlineRefused,
    Party,
    Subject,
)
from core.clients.hotline import NewTicket as FiledTicket
from core.clock import SYSTEM_CLOCK, Clock, china_today
from core.db import Connection, Pool
from core.principals import CitizenPrincipal
from core.settings import HotlineSettings
from core.workdays import WorkingCalendar
from push.service import PushService

log = logging.getLogger(__name__)

_LINK = "/pages/hotline-tickets/index?id={id}"


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


class HotlineService:
    """The citizen's tickets with 12345 (built by ``api.hotline.deps``)."""

    def __init__(
        self,
        *,
        pool: Pool,
        settings: HotlineSettings,
        client: HotlineClient,
        calendars: Calendars,
        catalog: CatalogService,
        declarations: DeclarationsService,
        reviews: ReviewsService,
        identity: IdentityService,
        push: PushService,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.pool = pool
        self.settings = settings
        self.client = client
        self.calendars = calendars
        # The subject's item and department, the citizen's declaration and its review ticket:
        # asked of their domains, whose tables this one never reads.
        self._catalog = catalog
        self._declarations = declarations
        self._reviews = reviews
        # The citizen's name and number for 12345's call back (only to 12345).
        self._identity = identity
        # Citizens told of each step, in the transaction of the change (the outbox).
        self._push = push
        self.clock = clock

    @property
    def callback_secret(self) -> str:
        return self.settings.callback_secret.reveal()

    # --- citizens ----------------------------------------------------------------------------

    async def file(
        self, conn: Connection, principal: CitizenPrincipal, data: NewTicket
    ) -> HotlineTicket:
        if not data.title.strip() or not data.content.strip():
            raise errors.BlankText()
        named = [x for x in (data.item_code, data.department_code, data.declaration_id) if x]
        if len(named) > 1:
            raise errors.SubjectAmbiguous()
        fields: dict[str, Any] = {"subject_type": "none"}
        if data.about_rectification and (data.kind != "complaint" or not data.declaration_id):
            raise errors.NoRectification()
        if data.item_code:
            try:
                item = await self._catalog.item_for_declaration(conn, data.item_code)
            except ItemNotFound as exc:  # a reference in a body: not a 404 of this URL
                raise errors.SubjectUnknown(item=data.item_code) from exc
            fields |= {
                "subject_type": "item",
                "item_code": item.code,
                "item_name": item.name,
                "department_code": item.department.code,
                "department_name": item.department.name,
            }
        elif data.department_code:
            facets = await self._catalog.facets(conn)
            found = next((d for d in facets.departments if d.code == data.department_code), None)
            if found is None:
                raise errors.SubjectUnknown(department=data.department_code)
            fields |= {
                "subject_type": "department",
                "department_code": found.code,
                "department_name": found.name,
            }
        elif data.declaration_id:
            declaration = await self._declarations.for_review(conn, data.declaration_id)
            if declaration is None or declaration.citizen_id != principal.citizen_id:
                raise errors.SubjectUnknown(declaration=str(data.declaration_id))
            department = await self._catalog.department_of(conn, declaration.item_code)
            fields |= {
                "subject_type": "declaration",
                "declaration_id": declaration.id,
                "item_code": declaration.item_code,
                "item_name": declaration.item_name,
                "department_code": department.code if department else "",
                "department_name": department.name if department else "",
            }
            if data.about_rectification:
                review_ticket = await self._reviews.ticket_for_complaint(
                    conn, principal.citizen_id, declaration.id
                )
                if review_ticket is None:
                    raise errors.NoRectification()
                fields["review_ticket_id"] = review_ticket
        now = self.clock.now()
        days = reply_days(data.kind, self.settings)
        due = reply_due(now, days, await self.calendars.for_deadline(conn))
        ticket_id = uuid.uuid4()
        await repo.insert_ticket(
            conn,
            id=ticket_id,
            citizen_id=principal.citizen_id,
            kind=data.kind,
            title=data.title.strip(),
            content=data.content.strip(),
            reply_days=days,
            due_on=due.day,
            due_provisional=due.provisional,
            created_at=now,
            updated_at=now,
            **fields,
        )
        await repo.add_event(conn, ticket_id, "filed", now)
        await jobs.enqueue(
            conn, FILE_JOB, TicketJob(str(ticket_id)), dedupe_key=f"hotline-file:{ticket_id}"
        )
        return await self.detail(conn, principal, ticket_id)

    async def mine(
        self, conn: Connection, principal: CitizenPrincipal, limit: int, offset: int
    ) -> HotlineTicketPage:
        rows, total = await repo.tickets_of_citizen(conn, principal.citizen_id, limit, offset)
        return HotlineTicketPage(items=[self._citizen_view(r) for r in rows], total=total)

    async def _own(
        self, conn: Connection, principal: CitizenPrincipal, ticket_id: uuid.UUID, *, lock: bool
    ) -> repo.TicketRow:
        row = await repo.ticket(conn, ticket_id, lock=lock)
        if row is None or row.citizen_id != principal.citizen_id:
            raise errors.TicketNotFound()
        return row

    async def detail(
        self, conn: Connection, principal: CitizenPrincipal, ticket_id: uuid.UUID
    ) -> HotlineTicket:
        row = await self._own(conn, principal, ticket_id, lock=False)
        view = self._citizen_view(row)
        view.timeline = await self._timeline(conn, ticket_id)
        return view

    async def rate(
        self, conn: Connection, principal: CitizenPrincipal, ticket_id: uuid.UUID, data: RateReply
    ) -> HotlineTicket:
        row = await self._own(conn, principal, ticket_id, lock=True)
        if row.satisfaction is not None:
            raise errors.AlreadyRated()
        if row.state not in ANSWERED:
            raise errors.NotReplied(state=row.state)
        now = self.clock.now()
        await repo.update_ticket(
            conn,
            ticket_id,
            satisfaction=data.result,
            satisfaction_comment=data.comment.strip(),
            rated_at=now,
            rating_delivery="pending",
        )
        await repo.add_event(conn, ticket_id, "rated", now, text=SATISFACTION_LABELS[data.result])
        await jobs.enqueue(
            conn, RATE_JOB, TicketJob(str(ticket_id)), dedupe_key=f"hotline-rate:{ticket_id}"
        )
        return await self.detail(conn, principal, ticket_id)

    async def _timeline(self, conn: Connection, ticket_id: uuid.UUID) -> list[TimelineEntry]:
        return [
            TimelineEntry(
                kind=e.kind,
                label=EVENT_LABELS.get(e.kind, e.kind),
                department_name=e.department_name or None,
                text=e.text,
                at=e.occurred_at,
            )
            for e in await repo.events_of(conn, ticket_id)
        ]

    def _fields(self, row: repo.TicketRow) -> dict[str, Any]:
        return {
            "id": str(row.id),
            "kind": row.kind,
            "kind_label": KIND_LABELS[row.kind],
            "title": row.title,
            "content": row.content,
            "subject_type": row.subject_type,
            "item_code": row.item_code or None,
            "item_name": row.item_name or None,
            "declaration_id": str(row.declaration_id) if row.declaration_id else None,
            "about_rectification": row.review_ticket_id is not None,
            "department_name": row.department_name or None,
            "state": row.state,
            "state_label": REFUSED_LABEL if row.delivery == "refused" else STATE_LABELS[row.state],
            "ticket_number": row.ticket_number,
            "reply": row.reply,
            "replied_at": row.replied_at,
            "due_on": row.due_on,
            "due_provisional": row.due_provisional,
            "overdue": row.flag == "late" or row.replied_on_time is False,
            "replied_on_time": row.replied_on_time,
            "satisfaction": row.satisfaction,
            "satisfaction_label": SATISFACTION_LABELS.get(row.satisfaction or ""),
            "can_rate": row.state in ANSWERED and row.satisfaction is None,
            "created_at": row.created_at,
        }

    def _citizen_view(self, row: repo.TicketRow) -> HotlineTicket:
        return HotlineTicket(**self._fields(row))

    def _staff_view(self, row: repo.TicketRow) -> StaffHotlineTicket:
        return StaffHotlineTicket(
            **self._fields(row),
            flag=row.flag,  # type: ignore[arg-type]
            department_code=row.department_code,
            delivery=row.delivery,
            refusal=row.refusal,
            review_ticket_id=str(row.review_ticket_id) if row.review_ticket_id else None,
        )

    # --- delivery to 12345 (jobs) ------------------------------------------------------------

    async def deliver(self, ticket_id: uuid.UUID) -> None:
        """File the ticket with 12345 (the ``hotline.file`` job): read, call holding no
        connection, record the answer in a transaction of its own."""
        async with self.pool.acquire() as conn:
            row = await repo.ticket(conn, ticket_id)
            if row is None or row.delivery != "pending":
                return
            name, phone = await self._identity.contact_of(conn, row.citizen_id)
            # A declaration is named to 12345 by the platform's case number, when it has one.
            case = (
                await self._declarations.for_review(conn, row.declaration_id)
                if row.declaration_id
                else None
            )
        subject = {
            "item": Subject(type="item", code=row.item_code, name=row.item_name),
            "department": Subject(
                type="department", code=row.department_code, name=row.department_name
            ),
            "declaration": Subject(
                type="case", code=(case.case_number or "") if case else "", name=row.item_name
            ),
        }.get(row.subject_type, Subject())
        filed = FiledTicket(
            request_id=str(row.id),
            kind=row.kind,  # type: ignore[arg-type]
            title=row.title,
            content=row.content,
            citizen=Party(name=name or "", phone=phone or ""),
            subject=subject,
            department=Department(code=row.department_code, name=row.department_name)
            if row.department_code
            else None,
            reference=f"review-ticket:{row.review_ticket_id}" if row.review_ticket_id else "",
            callback_url=self.settings.callback_url or None,
        )
        try:
            answer = await self.client.file(filed)
        except HotlineRefused as exc:
            async with self.pool.acquire() as conn, conn.transaction():
                await self._refused(conn, ticket_id, exc)
            return
        async with self.pool.acquire() as conn, conn.transaction():
            locked = await repo.ticket(conn, ticket_id, lock=True)
            if locked is None:
                return
            if locked.ticket_number is None:
                await repo.update_ticket(
                    conn, ticket_id, ticket_number=answer.ticket_number, delivery="sent"
                )
            # The events the answer lists, in case their callbacks were lost or are late.
            for event in answer.events:
                await repo.store_callback(
                    conn, event.event_id, ticket_id, event.sequence, msgspec.to_builtins(event)
                )
            await self.apply_stored(conn, ticket_id)

    async def _refused(self, conn: Connection, ticket_id: uuid.UUID, exc: HotlineRefused) -> None:
        row = await repo.ticket(conn, ticket_id, lock=True)
        if row is None or row.delivery != "pending":
            return
        log.warning("12345 refused a ticket", extra={"ticket": str(ticket_id), "code": exc.code})
        await repo.update_ticket(conn, ticket_id, delivery="refused", refusal=exc.code)
        await repo.add_event(conn, ticket_id, "refused", self.clock.now(), text=exc.message)

    async def deliver_rating(self, ticket_id: uuid.UUID) -> None:
        """Pass the citizen's satisfaction on to 12345 (the ``hotline.rate`` job)."""
        async with self.pool.acquire() as conn:
            row = await repo.ticket(conn, ticket_id)
        if row is None or row.rating_delivery != "pending" or row.satisfaction is None:
            return
        if row.ticket_number is None:
            raise RuntimeError("ticket not filed with 12345 yet")  # the job retries
        outcome = "sent"
        try:
            await self.client.rate(
                row.ticket_number,
                row.satisfaction,  # type: ignore[arg-type]
                row.satisfaction_comment,
            )
        except HotlineRefused as exc:
            log.warning(
                "12345 refused a rating", extra={"ticket": str(ticket_id), "code": exc.code}
            )
            outcome = "refused"
        async with self.pool.acquire() as conn, conn.transaction():
            await repo.update_ticket(conn, ticket_id, rating_delivery=outcome)

    # --- 12345's callbacks -------------------------------------------------------------------

    async def store_callback(
        self, conn: Connection, event: HotlineEvent, body: dict[str, Any]
    ) -> str:
        """Store a verified callback once and enqueue its processing: ``accepted``,
        ``duplicate``, or ``unknown`` (no ticket of ours: acknowledged, not stored)."""
        try:
            ticket_id = uuid.UUID(event.request_id)
        except ValueError:
            return "unknown"
        if not await repo.exists(conn, ticket_id):
            log.warning("12345 callback for an unknown ticket", extra={"event": event.event_id})
            return "unknown"
        if not await repo.store_callback(conn, event.event_id, ticket_id, event.sequence, body):
            return "duplicate"
        # No dedupe key: a run under way may have read the events before this one.
        await jobs.enqueue(conn, APPLY_JOB, TicketJob(str(ticket_id)))
        return "accepted"

    async def apply_stored(self, conn: Connection, ticket_id: uuid.UUID) -> None:
        """Apply a ticket's stored events in sequence, each once: stale ones are skipped, one
        ahead of a missing predecessor waits for it (12345 retries every event until it is
        acknowledged, so the gap fills)."""
        row = await repo.ticket(conn, ticket_id, lock=True)
        if row is None:
            return
        version = row.hotline_version
        for stored in await repo.pending_callbacks(conn, ticket_id):
            if stored.sequence <= version:
                await repo.mark_callback(conn, stored.event_id, "stale")
                continue
            if stored.sequence > version + 1:
                break
            event = msgspec.convert(stored.body, HotlineEvent)
            row = await self._apply(conn, row, event)
            version = event.sequence
            await repo.mark_callback(conn, stored.event_id, "applied")

    async def _apply(
        self, conn: Connection, row: repo.TicketRow, event: HotlineEvent
    ) -> repo.TicketRow:
        at = _parse_time(event.occurred_at)
        fields: dict[str, Any] = {"hotline_version": event.sequence}
        if row.ticket_number is None:
            fields |= {"ticket_number": event.ticket_number, "delivery": "sent"}
        target = STATE_AFTER.get(event.type)
        if target is not None:
            fields["state"] = target
        department = event.department
        if department is not None and department.code != row.department_code:
            fields |= {"department_code": department.code, "department_name": department.name}
        text: str | None = event.note
        params = {"item": f"{KIND_LABELS[row.kind]}“{row.title}”", "number": event.ticket_number}
        notify: str | None = None
        if event.type == "received":
            text = f"工单编号 {event.ticket_number}"
            notify = "hotline.received"
            params["due"] = str(row.due_on)
        elif event.type == "transferred" and department is not None:
            notify = "hotline.transferred"
            params["department"] = department.name
        elif event.type == "replied" and row.reply is None:
            text = event.reply
            fields |= {
                "reply": event.reply or "",
                "replied_at": at,
                "replied_on_time": on_time(at, row.due_on),
            }
            notify = "hotline.replied"
            params["reply"] = event.reply or ""
        elif event.type == "rated":
            fields["rating_delivery"] = "sent"
            text = None
        await repo.update_ticket(conn, row.id, **fields)
        if event.type != "rated":
            await repo.add_event(
                conn,
                row.id,
                event.type,
                at,
                department_code=department.code if department else None,
                department_name=department.name if department else None,
                text=text,
            )
        if notify is not None:
            await self._push.notify(
                conn,
                row.citizen_id,
                notify,  # type: ignore[arg-type]
                params,
                dedupe_key=f"hotline:{row.id}:{event.sequence}",
                link=_LINK.format(id=row.id),
            )
        updated = await repo.ticket(conn, row.id)
        assert updated is not None
        return updated

    # --- supervision (the hotline.supervise job) and calendar changes -----------------------

    async def supervise(
        self, conn: Connection, today: date | None = None, *, now: datetime | None = None
    ) -> int:
        """Flag tickets without a reply: ``due_soon`` with at most one working day left,
        ``late`` after the due date (the citizen's timeline says it is being chased). Returns
        how many flags changed."""
        moment = now or self.clock.now()
        today = today or china_today(moment)
        calendar = await self.calendars.current(conn)
        changed = 0
        for row in await repo.unreplied(conn):
            flag = flag_of(today, row.due_on, calendar)
            if flag == row.flag:
                continue
            await repo.update_ticket(conn, row.id, flag=flag)
            if flag == "late":
                await repo.add_event(conn, row.id, "flagged", moment)
            changed += 1
        return changed

    async def recompute_deadlines(self, conn: Connection, calendar: WorkingCalendar) -> int:
        """The calendar changed (a notice imported): deadlines of tickets without a reply are
        counted again from their filing. Returns how many moved."""
        moved = 0
        for row in await repo.unreplied(conn):
            due = reply_due(row.created_at, row.reply_days, calendar)
            if (row.due_on, row.due_provisional) == tuple(due):
                continue
            await repo.update_ticket(conn, row.id, due_on=due.day, due_provisional=due.provisional)
            moved += 1
        return moved

    # --- staff -------------------------------------------------------------------------------

    async def staff_list(
        self,
        conn: Connection,
        *,
        flag: str | None,
        kind: str | None,
        state: str | None,
        departments: tuple[str, ...] | None,
        limit: int,
        offset: int,
    ) -> StaffTicketPage:
        """``departments``: the caller's scope (``StaffPrincipal.department_scope``), None for
        every department."""
        rows, total = await repo.staff_tickets(
            conn,
            flag=flag,
            kind=kind,
            state=state,
            departments=departments,
            limit=limit,
            offset=offset,
        )
        return StaffTicketPage(items=[self._staff_view(r) for r in rows], total=total)

    async def staff_detail(
        self, conn: Connection, ticket_id: uuid.UUID, departments: tuple[str, ...] | None = None
    ) -> StaffHotlineTicket:
        """One ticket; a department-scoped caller reaches only its departments' (another's is
        not found: its existence is not disclosed)."""
        row = await repo.ticket(conn, ticket_id)
        if row is None or (departments is not None and row.department_code not in departments):
            raise errors.TicketNotFound()
        view = self._staff_view(row)
        view.timeline = await self._timeline(conn, ticket_id)
        return view

    async def figures(
        self,
        conn: Connection,
        start: date | None,
        end: date | None,
        departments: tuple[str, ...] | None = None,
    ) -> HotlineFigures:
        """By department; ``departments``: only theirs (a scoped caller's, or the one asked)."""
        if start and end and start > end:
            raise errors.InvalidPeriod("from is after to")
        rows = await repo.figures(conn, start, end, departments)
        by_department = [_department_figures(msgspec.structs.asdict(r)) for r in rows]
        totals: dict[str, Any] = {"department_code": "", "department_name": "合计"}
        for name in _COUNTS:
            totals[name] = sum(getattr(r, name) for r in rows)
        return HotlineFigures(
            from_date=start,
            to_date=end,
            overall=_department_figures(totals),
            by_department=by_department,
        )


_COUNTS = (
    "total",
    "consultations",
    "complaints",
    "suggestions",
    "replied",
    "replied_on_time",
    "unreplied",
    "overdue",
    "rated",
    "satisfied",
    "basically_satisfied",
    "dissatisfied",
)


def _department_figures(row: Mapping[str, Any]) -> DepartmentFigures:
    # On time ÷ (replied + unreplied already late): a ticket still within its time counts later.
    late_open = int(row["overdue"]) - (int(row["replied"]) - int(row["replied_on_time"]))
    return DepartmentFigures(
        department_code=row["department_code"],
        department_name=row["department_name"] or "未指定部门",
        **{k: int(row[k]) for k in _COUNTS},
        on_time_rate=_rate(int(row["replied_on_time"]), int(row["replied"]) + late_open),
        satisfaction_rate=_rate(
            int(row["satisfied"]) + int(row["basically_satisfied"]), int(row["rated"])
        ),
    )


async def absorb_citizen(conn: Connection, source: uuid.UUID, target: uuid.UUID) -> dict[str, int]:
    """One person, one account: ``source``'s tickets become ``target``'s (called by
    api.identity when it joins a person's accounts)."""
    return await repo.absorb_citizen(conn, source, target)
