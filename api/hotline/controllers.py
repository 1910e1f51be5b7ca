"""HTTP of the hotline: citizens file and follow tickets; 12345's signed callbacks; staff read
overdue tickets and figures by department."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK

from api.hotline.callbacks import verified_event
from api.hotline.schemas import (
    HotlineFigures,
    HotlineTicket,
    HotlineTicketPage,
    NewTicket,
    RateReply,
    StaffHotlineTicket,
    StaffTicketPage,
)
from api.hotline.service import HotlineService
from core import idempotency
from core.db import Connection
from core.openapi import IdempotencyKey, link, problem_responses
from core.principals import SCOPED, CitizenPrincipal, StaffPrincipal

FILE_ROUTE = "hotline.file"
# Tickets and figures are cut by the department answerable: a department-scoped account
# sees its departments' only.
READ = {"staff_roles": ["operator", "supervisor", "auditor", "admin"], "departments": SCOPED}
_ONE = "/api/v1/hotline/tickets/{ticket_id}"
KindFilter = Literal["consultation", "complaint", "suggestion"]
StateFilter = Literal["pending", "received", "accepted", "transferred", "replied", "closed"]
FlagFilter = Literal["none", "due_soon", "late"]


class HotlineController(Controller):
    path = "/api/v1/hotline/tickets"
    tags = ["hotline 12345"]  # noqa: RUF012 - Litestar reads a list

    @post(
        "",
        status_code=HTTP_200_OK,
        responses=problem_responses(400, 401, 409, 422),
        summary="Ask (咨询), complain (投诉) or suggest (建议); sent to 12345 by a job",
        opt={"links": {"read": link("GET", _ONE, parameters={"ticket_id": "$response.body#/id"})}},
    )
    async def file(
        self,
        data: JSONBody[NewTicket],
        idempotency_key: IdempotencyKey,
        citizen: NamedDependency[CitizenPrincipal],
        hotline: NamedDependency[HotlineService],
        db_connection: NamedDependency[Connection],
    ) -> Response[HotlineTicket]:
        # Copies of one tap (the same key) get the first one's answer: one ticket.
        return await idempotency.once(
            db_connection,
            citizen_id=citizen.citizen_id,
            route=FILE_ROUTE,
            key=idempotency_key,
            request=data,
            run=lambda: hotline.file(db_connection, citizen, data),
        )

    @get("", responses=problem_responses(400, 401), summary="My tickets, newest first")
    async def mine(
        self,
        citizen: NamedDependency[CitizenPrincipal],
        hotline: NamedDependency[HotlineService],
        db_connection: NamedDependency[Connection],
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
        offset: Annotated[int, QueryParameter(ge=0, le=100_000)] = 0,
    ) -> HotlineTicketPage:
        return await hotline.mine(db_connection, citizen, limit, offset)

    @get(
        "/{ticket_id:uuid}",
        responses=problem_responses(400, 401, 404),
        summary="One of my tickets with its timeline",
    )
    async def detail(
        self,
        ticket_id: FromPath[uuid.UUID],
        citizen: NamedDependency[CitizenPrincipal],
        hotline: NamedDependency[HotlineService],
        db_connection: NamedDependency[Connection],
    ) -> HotlineTicket:
        return await hotline.detail(db_connection, citizen, ticket_id)

    @post(
        "/{ticket_id:uuid}/satisfaction",
        status_code=HTTP_200_OK,
        responses=problem_responses(400, 401, 404, 409, 422),
        summary="Rate the reply (满意 / 基本满意 / 不满意), once; passed on to 12345",
    )
    async def rate(
        self,
        ticket_id: FromPath[uuid.UUID],
        data: JSONBody[RateReply],
        citizen: NamedDependency[CitizenPrincipal],
        hotline: NamedDependency[HotlineService],
        db_connection: NamedDependency[Connection],
    ) -> HotlineTicket:
        return await hotline.rate(db_connection, citizen, ticket_id, data)


class HotlineCallbackController(Controller):
    """12345's signed ticket callbacks (an inbox: store, answer fast)."""

    path = "/api/v1/hooks/hotline"
    tags = ["platform hooks"]  # noqa: RUF012

    @post("/tickets", status_code=HTTP_200_OK, responses=problem_responses(401))
    async def tickets(
        self,
        request: Request[Any, Any, Any],
        hotline: NamedDependency[HotlineService],
        db_connection: NamedDependency[Connection],
    ) -> Response[dict[str, str]]:
        body = await request.body()
        headers = {k.lower(): v for k, v in request.headers.items()}
        event, stored = verified_event(hotline.callback_secret, headers, body)
        return Response({"status": await hotline.store_callback(db_connection, event, stored)})


class HotlineOpsController(Controller):
    """Hotline tickets for staff: overdue ones first, figures by department (read only: the
    work itself happens at 12345)."""

    path = "/ops/v1/hotline"
    tags = ["ops 运营"]  # noqa: RUF012

    @get(
        "/tickets",
        opt=READ,
        responses=problem_responses(400, 401, 403),
        summary="Hotline tickets, unreplied and soonest due first (flag=late: the overdue)",
    )
    async def tickets(
        self,
        staff: NamedDependency[StaffPrincipal],
        hotline: NamedDependency[HotlineService],
        db_connection: NamedDependency[Connection],
        flag: Annotated[FlagFilter | None, QueryParameter()] = None,
        kind: Annotated[KindFilter | None, QueryParameter()] = None,
        state_filter: Annotated[StateFilter | None, QueryParameter(name="state")] = None,
        department: Annotated[str | None, QueryParameter(min_length=1, max_length=64)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        offset: Annotated[int, QueryParameter(ge=0, le=100_000)] = 0,
    ) -> StaffTicketPage:
        return await hotline.staff_list(
            db_connection,
            flag=flag,
            kind=kind,
            state=state_filter,
            departments=staff.department_scope(department),
            limit=limit,
            offset=offset,
        )

    @get("/tickets/{ticket_id:uuid}", opt=READ, responses=problem_responses(400, 401, 403, 404))
    async def ticket(
        self,
        ticket_id: FromPath[uuid.UUID],
        staff: NamedDependency[StaffPrincipal],
        hotline: NamedDependency[HotlineService],
        db_connection: NamedDependency[Connection],
    ) -> StaffHotlineTicket:
        return await hotline.staff_detail(db_connection, ticket_id, staff.department_scope())

    @get(
        "/figures",
        opt=READ,
        responses=problem_responses(400, 401, 403),
        summary="Hotline figures by department: kinds, replies on time, overdue, satisfaction",
        description="Tickets filed in the period (China days, `from`/`to` included; all when "
        "none is given) by the department answerable. `department`: that one only. A "
        "department-scoped account gets its departments only (another department: 403 "
        "`DEPARTMENT_OUT_OF_SCOPE`).",
    )
    async def figures(
        self,
        staff: NamedDependency[StaffPrincipal],
        hotline: NamedDependency[HotlineService],
        db_connection: NamedDependency[Connection],
        start: Annotated[date | None, QueryParameter(name="from")] = None,
        end: Annotated[date | None, QueryParameter(name="to")] = None,
        department: Annotated[str | None, QueryParameter(min_length=1, max_length=64)] = None,
    ) -> HotlineFigures:
        return await hotline.figures(db_connection, start, end, staff.department_scope(department))
