"""HTTP of good/bad review: citizens rate finished matters; staff work the rectification tickets."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Concatenate, Literal, ParamSpec

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK
from litestar.types import AnyCallable

from api.reviews.schemas import (
    AppealDecision,
    AppealRequest,
    CallNumber,
    ContactRequest,
    DeclarationReviews,
    Figures,
    RateRequest,
    ResolveRequest,
    Review,
    TagCatalogue,
    TicketDetail,
    TicketPage,
)
from api.reviews.service import ReviewsService
from core.db import Connection
from core.openapi import problem_responses
from core.principals import ACTING_AS_WITHIN_ITEMS, SCOPED, CitizenPrincipal, StaffPrincipal

# Every staff route here is cut by department: a department-scoped account sees and works its
# departments' tickets and figures only.
READ = {"staff_roles": ["operator", "supervisor", "auditor", "admin"], "departments": SCOPED}
WORK = {"staff_roles": ["operator", "admin"], "departments": SCOPED}
DECIDE = {"staff_roles": ["supervisor", "admin"], "departments": SCOPED}
_ACT = problem_responses(400, 401, 403, 404, 409, 422)
TicketStateFilter = Literal["open", "contacted", "rectified", "explained", "appealing", "closed"]
FlagFilter = Literal["none", "due_soon", "late"]
P = ParamSpec("P")


class DeclarationReviewController(Controller):
    path = "/api/v1/declarations/{declaration_id:uuid}/reviews"
    # A party's resources take X-Acting-As; reached through a declaration of a covered item.
    opt = ACTING_AS_WITHIN_ITEMS
    tags = ["reviews 好差评"]  # noqa: RUF012 - Litestar reads a list

    @post(
        "",
        status_code=HTTP_200_OK,
        responses=problem_responses(400, 401, 404, 409, 422),
        summary="Rate a finished matter: once per channel, plus one follow-up after rectification",
    )
    async def rate(
        self,
        declaration_id: FromPath[uuid.UUID],
        data: JSONBody[RateRequest],
        citizen: NamedDependency[CitizenPrincipal],
        reviews: NamedDependency[ReviewsService],
        db_connection: NamedDependency[Connection],
    ) -> Review:
        return await reviews.rate(db_connection, citizen, declaration_id, data)

    @get(
        "",
        responses=problem_responses(400, 401, 404),
        summary="My ratings of a matter, whether I can rate now, the rectification outcome",
    )
    async def mine(
        self,
        declaration_id: FromPath[uuid.UUID],
        citizen: NamedDependency[CitizenPrincipal],
        reviews: NamedDependency[ReviewsService],
        db_connection: NamedDependency[Connection],
    ) -> DeclarationReviews:
        return await reviews.reviews_of(db_connection, citizen, declaration_id)


class ReviewCatalogueController(Controller):
    path = "/api/v1/reviews"
    tags = ["reviews 好差评"]  # noqa: RUF012

    @get("/tags", summary="The five levels and the tags a rating may carry (Chinese labels)")
    async def catalogue(self, reviews: NamedDependency[ReviewsService]) -> TagCatalogue:
        return reviews.tag_catalogue()


@dataclass(frozen=True, slots=True)
class WorkedTicket:
    """The path's ticket as the signed-in staff member works it, in the request's transaction.
    Every step on it goes through ``step``, which answers the ticket as it now is."""

    reviews: ReviewsService
    conn: Connection
    staff: StaffPrincipal
    ticket_id: uuid.UUID

    async def step(
        self,
        action: Callable[Concatenate[Connection, StaffPrincipal, uuid.UUID, P], Awaitable[None]],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> TicketDetail:
        await action(self.conn, self.staff, self.ticket_id, *args, **kwargs)
        return await self.reviews.ticket_detail(self.conn, self.ticket_id)


async def _worked_ticket(
    ticket_id: FromPath[uuid.UUID],
    staff: NamedDependency[StaffPrincipal],
    reviews: NamedDependency[ReviewsService],
    db_connection: NamedDependency[Connection],
) -> WorkedTicket:
    await reviews.check_in_scope(db_connection, staff, ticket_id)
    return WorkedTicket(reviews=reviews, conn=db_connection, staff=staff, ticket_id=ticket_id)


def _step(
    action: str, summary: str | None = None, *, opt: dict[str, Any] = WORK
) -> Callable[[AnyCallable], HTTPRouteHandler]:
    """The route of a step on a ticket: a POST that answers the ticket's detail."""
    return post(
        f"/tickets/{{ticket_id:uuid}}/{action}",
        opt=opt,
        status_code=HTTP_200_OK,
        responses=_ACT,
        summary=summary,
    )


class ReviewTicketController(Controller):
    """Rectification of bad reviews: operators work tickets, supervisors decide appeals,
    auditors read. Every action is audited."""

    path = "/ops/v1/reviews"
    tags = ["ops 运营"]  # noqa: RUF012
    dependencies = {"ticket": Provide(_worked_ticket)}  # noqa: RUF012

    @get(
        "/tickets",
        opt=READ,
        responses=problem_responses(400, 401, 403),
        summary="Rectification tickets, soonest due first",
    )
    async def tickets(
        self,
        staff: NamedDependency[StaffPrincipal],
        reviews: NamedDependency[ReviewsService],
        db_connection: NamedDependency[Connection],
        state_filter: Annotated[TicketStateFilter | None, QueryParameter(name="state")] = None,
        flag: Annotated[FlagFilter | None, QueryParameter()] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        offset: Annotated[int, QueryParameter(ge=0, le=100_000)] = 0,
        department: Annotated[str | None, QueryParameter(max_length=64)] = None,
    ) -> TicketPage:
        return await reviews.list_tickets(
            db_connection, state_filter, flag, limit, offset, staff.department_scope(department)
        )

    @get("/tickets/{ticket_id:uuid}", opt=READ, responses=problem_responses(400, 401, 403, 404))
    async def ticket(
        self,
        ticket_id: FromPath[uuid.UUID],
        staff: NamedDependency[StaffPrincipal],
        reviews: NamedDependency[ReviewsService],
        db_connection: NamedDependency[Connection],
    ) -> TicketDetail:
        await reviews.check_in_scope(db_connection, staff, ticket_id)
        return await reviews.ticket_detail(db_connection, ticket_id)

    @post(
        "/tickets/{ticket_id:uuid}/call-number",
        opt=WORK,
        status_code=HTTP_200_OK,
        responses=problem_responses(400, 401, 403, 404, 409),
        summary="The citizen's whole phone number for the call back (audited)",
    )
    async def call_number(
        self,
        ticket_id: FromPath[uuid.UUID],
        staff: NamedDependency[StaffPrincipal],
        reviews: NamedDependency[ReviewsService],
        db_connection: NamedDependency[Connection],
    ) -> CallNumber:
        await reviews.check_in_scope(db_connection, staff, ticket_id)
        phone = await reviews.call_number(db_connection, staff, ticket_id)
        return CallNumber(phone=phone)

    @_step("contact", "Record the call back to the citizen (open → contacted)")
    async def contact(
        self, data: JSONBody[ContactRequest], ticket: NamedDependency[WorkedTicket]
    ) -> TicketDetail:
        return await ticket.step(ticket.reviews.contact, data.note)

    @_step(
        "resolve", "Rectified or explained (contacted → …); the outcome is published to the citizen"
    )
    async def resolve(
        self, data: JSONBody[ResolveRequest], ticket: NamedDependency[WorkedTicket]
    ) -> TicketDetail:
        return await ticket.step(ticket.reviews.resolve, data.outcome, data.note)

    @_step("close")
    async def close(self, ticket: NamedDependency[WorkedTicket]) -> TicketDetail:
        return await ticket.step(ticket.reviews.close)

    @_step("appeal", "Appeal a malicious or mistaken rating (a supervisor decides)")
    async def appeal(
        self, data: JSONBody[AppealRequest], ticket: NamedDependency[WorkedTicket]
    ) -> TicketDetail:
        return await ticket.step(ticket.reviews.appeal, data.reason)

    @_step(
        "appeal/decision",
        "Uphold (the rating leaves the figures, ticket closed) or reject an appeal",
        opt=DECIDE,
    )
    async def decide(
        self, data: JSONBody[AppealDecision], ticket: NamedDependency[WorkedTicket]
    ) -> TicketDetail:
        return await ticket.step(ticket.reviews.decide_appeal, data.upheld, data.note)

    @get(
        "/figures",
        opt=READ,
        responses=problem_responses(400, 401, 403),
        summary="Satisfaction by item, department and channel; bad-review and on-time rates",
    )
    async def figures(
        self,
        staff: NamedDependency[StaffPrincipal],
        reviews: NamedDependency[ReviewsService],
        db_connection: NamedDependency[Connection],
        start: Annotated[date | None, QueryParameter(name="from")] = None,
        end: Annotated[date | None, QueryParameter(name="to")] = None,
        department: Annotated[str | None, QueryParameter(max_length=64)] = None,
    ) -> Figures:
        return await reviews.figures(db_connection, start, end, staff.department_scope(department))
