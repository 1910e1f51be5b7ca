"""Rectification of bad reviews: staff work the tickets (call back, outcome, close, appeal);
a supervision job flags those due soon or late; a new calendar moves their deadlines."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import msgspec

from api.reviews import errors
from api.reviews import repository as repo
from api.reviews.rules import can_move, flag_of, rectification_due
from api.reviews.schemas import Appeal, Contact, TicketDetail, TicketEvent, TicketPage
from api.reviews.service._base import OUTCOME_LABELS, ReviewsBase, review_of, ticket_summary
from core import audit
from core.clock import china_date, china_today
from core.db import Connection
from core.pii import mask_name, mask_phone
from core.principals import StaffPrincipal
from core.workdays import WorkingCalendar


class TicketCases(ReviewsBase):
    async def list_tickets(
        self,
        conn: Connection,
        state: str | None,
        flag: str | None,
        limit: int,
        offset: int,
        departments: Sequence[str] | None = None,
    ) -> TicketPage:
        """``departments``: only their tickets (a department-scoped caller; None: all)."""
        rows, total = await repo.list_tickets(conn, state, flag, limit, offset, departments)
        return TicketPage(items=[ticket_summary(r) for r in rows], total=total)

    async def check_in_scope(
        self, conn: Connection, staff: StaffPrincipal, ticket_id: uuid.UUID
    ) -> None:
        """A department-scoped caller reaches only its departments' tickets: another's is
        not found (its existence is not disclosed)."""
        scope = staff.department_scope()
        if scope is None:
            return
        t = await repo.ticket(conn, ticket_id)
        if t is None or t.department_code not in scope:
            raise errors.TicketNotFound()

    async def _ticket(self, conn: Connection, ticket_id: uuid.UUID) -> repo.TicketRow:
        t = await repo.ticket(conn, ticket_id)
        if t is None:
            raise errors.TicketNotFound()
        return t

    async def ticket_detail(self, conn: Connection, ticket_id: uuid.UUID) -> TicketDetail:
        t = await self._ticket(conn, ticket_id)
        declaration = await self._declarations.for_review(conn, t.declaration_id)
        if declaration is None:  # a ticket's declaration is never deleted (a foreign key)
            raise errors.TicketNotFound()
        review = await repo.review(conn, t.review_id)
        assert review is not None
        follow_up = await repo.follow_up_of(conn, t.review_id)
        name, phone = await self._identity.contact_of(conn, t.citizen_id)
        events = await repo.events(conn, ticket_id)
        # Who did each step: the usernames of the whole history in one question to identity.
        usernames = await self._identity.usernames_of_staff(
            conn, [e.staff_id for e in events if e.staff_id is not None]
        )
        return TicketDetail(
            **msgspec.structs.asdict(ticket_summary(t)),
            review=review_of(review),
            text=review.text,
            case_number=declaration.case_number,
            declaration_state=declaration.state,
            contact=Contact(
                name=mask_name(name) if name else None,
                phone=mask_phone(phone) if phone else None,
            ),
            contacted_at=t.contacted_at,
            contact_note=t.contact_note,
            resolution_note=t.resolution_note,
            closed_at=t.closed_at,
            appeal=Appeal(
                reason=t.appeal_reason,
                from_state=t.appeal_from_state,
                appealed_at=t.appealed_at,
                upheld=t.appeal_upheld,
                note=t.appeal_note,
                decided_at=t.appeal_decided_at,
            )
            if t.appeal_reason and t.appeal_from_state and t.appealed_at
            else None,
            follow_up=review_of(follow_up) if follow_up else None,
            events=[
                TicketEvent(
                    action=e.action,
                    from_state=e.from_state,
                    to_state=e.to_state,
                    staff=usernames.get(e.staff_id) if e.staff_id else None,
                    note=e.note,
                    at=e.at,
                )
                for e in events
            ],
        )

    async def call_number(
        self, conn: Connection, staff: StaffPrincipal, ticket_id: uuid.UUID
    ) -> str:
        """The citizen's number for the call back, while the ticket is being worked; every
        disclosure is in the audit log (minimum necessary use, docs/domain.md §9)."""
        t = await self._ticket(conn, ticket_id)
        if t.state not in ("open", "contacted"):
            raise errors.TicketState(state=t.state, action="call")
        _, phone = await self._identity.contact_of(conn, t.citizen_id)
        if not phone:
            raise errors.NoPhoneNumber()
        await audit.append(
            conn,
            actor_type="staff",
            actor_id=str(staff.staff_id),
            action="reviews.ticket_call_number",
            target_type="review_ticket",
            target_id=str(ticket_id),
            details={"role": staff.role},
        )
        return phone

    async def _move(
        self,
        conn: Connection,
        staff: StaffPrincipal,
        ticket_id: uuid.UUID,
        action: str,
        target: str,
        note: str | None,
        **fields: Any,
    ) -> repo.TicketRow:
        """Move a locked ticket, record the step and audit it; the row as it was before."""
        t = await repo.ticket(conn, ticket_id, lock=True)
        if t is None:
            raise errors.TicketNotFound()
        if not can_move(t.state, target):
            raise errors.TicketState(state=t.state, action=action)
        await repo.update_ticket(conn, ticket_id, state=target, **fields)
        await repo.add_event(conn, ticket_id, action, t.state, target, staff.staff_id, note)
        await audit.append(
            conn,
            actor_type="staff",
            actor_id=str(staff.staff_id),
            action=f"reviews.ticket_{action}",
            target_type="review_ticket",
            target_id=str(ticket_id),
            details={"from": t.state, "to": target, "role": staff.role},
        )
        return t

    async def contact(
        self, conn: Connection, staff: StaffPrincipal, ticket_id: uuid.UUID, note: str
    ) -> None:
        await self._move(
            conn,
            staff,
            ticket_id,
            "contact",
            "contacted",
            note,
            contacted_at=self.clock.now(),
            contact_note=note,
        )

    async def resolve(
        self, conn: Connection, staff: StaffPrincipal, ticket_id: uuid.UUID, outcome: str, note: str
    ) -> None:
        now = self.clock.now()
        t = await repo.ticket(conn, ticket_id, lock=True)
        due = t.due_on if t else None
        before = await self._move(
            conn,
            staff,
            ticket_id,
            "resolve",
            outcome,
            note,
            outcome=outcome,
            resolved_at=now,
            resolution_note=note,
            resolved_on_time=None if due is None else china_date(now) <= due,
        )
        # The outcome is published to the citizen, who may now rate the matter once more.
        await self._push.notify(
            conn,
            before.citizen_id,
            "review.ticket_resolved",
            {"item": before.item_name, "outcome": OUTCOME_LABELS[outcome], "note": note},
            dedupe_key=f"review-ticket:{ticket_id}:resolved",
            link=f"/pages/declaration/index?id={before.declaration_id}",
        )

    async def close(self, conn: Connection, staff: StaffPrincipal, ticket_id: uuid.UUID) -> None:
        await self._move(
            conn, staff, ticket_id, "close", "closed", None, closed_at=self.clock.now()
        )

    async def appeal(
        self, conn: Connection, staff: StaffPrincipal, ticket_id: uuid.UUID, reason: str
    ) -> None:
        t = await repo.ticket(conn, ticket_id, lock=True)
        if t is not None and t.appeal_upheld is False:
            # One appeal per ticket: a rejected one is final.
            raise errors.TicketState(state=t.state, action="appeal")
        await self._move(
            conn,
            staff,
            ticket_id,
            "appeal",
            "appealing",
            reason,
            appeal_reason=reason,
            appeal_from_state=t.state if t else None,
            appealed_at=self.clock.now(),
            appealed_by=staff.staff_id,
        )

    async def decide_appeal(
        self,
        conn: Connection,
        staff: StaffPrincipal,
        ticket_id: uuid.UUID,
        upheld: bool,
        note: str,
    ) -> None:
        t = await repo.ticket(conn, ticket_id, lock=True)
        if t is None:
            raise errors.TicketNotFound()
        if t.state != "appealing":
            raise errors.TicketState(state=t.state, action="decide")
        if t.appealed_by == staff.staff_id:
            raise errors.AppealSelfDecision()
        now = self.clock.now()
        decision = {"appeal_upheld": upheld, "appeal_note": note or None, "appeal_decided_at": now}
        if upheld:
            await self._move(
                conn,
                staff,
                ticket_id,
                "appeal_upheld",
                "closed",
                note or None,
                outcome="appeal_upheld",
                closed_at=now,
                **decision,
            )
            await repo.exclude(conn, t.review_id)  # a malicious or mistaken rating: not counted
        else:
            assert t.appeal_from_state is not None  # set with the appeal
            await self._move(
                conn,
                staff,
                ticket_id,
                "appeal_rejected",
                t.appeal_from_state,
                note or None,
                **decision,
            )

    # --- supervision (the reviews.supervise job) and calendar changes --------------------------

    async def supervise(
        self, conn: Connection, today: date | None = None, *, now: datetime | None = None
    ) -> int:
        """Flag unresolved tickets: ``due_soon`` with at most one working day left, ``late``
        after the due date. ``today`` defaults to China's day of ``now`` (default: the service's
        clock). Returns how many flags changed."""
        today = today or china_today(now or self.clock.now())
        changed = 0
        calendar = await self.calendars.current(conn)
        for row in await repo.unresolved_tickets(conn):
            flag = flag_of(today, row.due_on, calendar)
            if flag != row.flag:
                await repo.update_ticket(conn, row.id, flag=flag)
                changed += 1
        return changed

    async def recompute_deadlines(self, conn: Connection, calendar: WorkingCalendar) -> int:
        """The calendar changed (a notice imported): unresolved tickets' deadlines are counted
        again from their rating; a citizen whose promised contact date moved is told. Returns
        how many moved (also fills a deadline left empty before migration 0018)."""
        moved = 0
        for t in await repo.unresolved_for_recompute(conn):
            due = rectification_due(t.rated_at, calendar)
            if (t.due_on, t.due_provisional) == tuple(due):
                continue
            await repo.update_ticket(conn, t.id, due_on=due.day, due_provisional=due.provisional)
            if t.due_on is not None and t.due_on != due.day:
                moved += 1
                await self._push.notify(
                    conn,
                    t.citizen_id,
                    "deadline.moved",
                    {
                        "item": t.item_name,
                        "deadline": "差评整改期限",
                        "old": str(t.due_on),
                        "new": str(due.day),
                    },
                    dedupe_key=f"review-ticket:{t.id}:moved:{due.day}",
                    link=f"/pages/declaration/index?id={t.declaration_id}",
                )
        return moved
