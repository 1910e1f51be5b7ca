"""HTTP of halls and appointments: the hall directory (cached reads), slots, bookings, and the
hall window's view of a day."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, PathParameter, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api.halls.schemas import (
    Appointment,
    AppointmentList,
    BookAppointment,
    HallDay,
    HallDetail,
    HallFigures,
    HallSlots,
    HallSummary,
)
from api.halls.service import HallsService
from core.cache import cached_read
from core.db import Connection
from core.openapi import problem_responses
from core.principals import ANY_STAFF, CitizenPrincipal, StaffPrincipal

HallCode = Annotated[str, PathParameter(min_length=1, max_length=32)]
ItemCode = Annotated[str, QueryParameter(name="itemCode", min_length=1, max_length=64)]
WINDOW = {"staff_roles": ["operator", "supervisor", "admin"]}
# Province-wide accounts only (no ``departments`` opt): a hall's windows serve many
# departments' items, so its bookings and waits are no one department's figures.
FIGURES = {"staff_roles": ANY_STAFF}


class HallController(Controller):
    path = "/api/v1/halls"
    tags = ["halls 政务服务大厅与预约"]  # noqa: RUF012 - Litestar reads a list

    @get("", summary="Service halls, by item served or region", responses=problem_responses(400))
    async def list_halls(
        self,
        request: Request[Any, Any, Any],
        halls: NamedDependency[HallsService],
        item_code: Annotated[
            str | None, QueryParameter(name="itemCode", min_length=1, max_length=64)
        ] = None,
        region: Annotated[str | None, QueryParameter(min_length=1, max_length=12)] = None,
    ) -> Response[list[HallSummary]]:
        return await cached_read(
            request,
            halls.cache,
            halls.pool,
            lambda conn: halls.list_halls(conn, item_code, region),
            list[HallSummary],
        )

    @get(
        "/{hall_code:str}",
        summary="A hall: address, coordinates, hours, closures, windows and their items",
        responses=problem_responses(400, 404),
    )
    async def hall(
        self,
        request: Request[Any, Any, Any],
        halls: NamedDependency[HallsService],
        hall_code: HallCode,
    ) -> Response[HallDetail]:
        return await cached_read(
            request,
            halls.cache,
            halls.pool,
            lambda conn: halls.hall_detail(conn, hall_code),
            HallDetail,
        )

    @get(
        "/{hall_code:str}/slots",
        summary="Bookable half hours of an item at a hall, with places left",
        responses=problem_responses(400, 404),
    )
    async def slots(
        self,
        halls: NamedDependency[HallsService],
        db_read: NamedDependency[Connection],
        hall_code: HallCode,
        item_code: ItemCode,
    ) -> HallSlots:
        return await halls.slots(db_read, hall_code, item_code)


class AppointmentController(Controller):
    path = "/api/v1/appointments"
    tags = ["halls 政务服务大厅与预约"]  # noqa: RUF012

    @post(
        "",
        status_code=HTTP_201_CREATED,
        summary="Book a half hour at a hall for an item (预约)",
        description="409 `APPOINTMENT_SLOT_FULL` when the last place went to someone else, "
        "`APPOINTMENT_SLOT_UNAVAILABLE` for a half hour the hall does not offer (closed, past, "
        "too far ahead), `APPOINTMENT_LIMIT_REACHED` past the open-booking limit, `APPOINTMENT_PAUSED` (with "
        "the rule and `pausedUntil`) after repeated no-shows.",
        responses=problem_responses(400, 401, 404, 409, 422),
    )
    async def book(
        self,
        data: JSONBody[BookAppointment],
        citizen: NamedDependency[CitizenPrincipal],
        halls: NamedDependency[HallsService],
        db_connection: NamedDependency[Connection],
    ) -> Appointment:
        return await halls.book(db_connection, citizen, data)

    @get("", summary="My appointments, latest first", responses=problem_responses(401))
    async def mine(
        self,
        citizen: NamedDependency[CitizenPrincipal],
        halls: NamedDependency[HallsService],
        db_connection: NamedDependency[Connection],
    ) -> AppointmentList:
        return await halls.mine(db_connection, citizen)

    @get(
        "/{appointment_id:uuid}",
        summary="One of my appointments",
        responses=problem_responses(400, 401, 404),
    )
    async def one(
        self,
        appointment_id: FromPath[uuid.UUID],
        citizen: NamedDependency[CitizenPrincipal],
        halls: NamedDependency[HallsService],
        db_connection: NamedDependency[Connection],
    ) -> Appointment:
        return await halls.get(db_connection, citizen, appointment_id)

    @post(
        "/{appointment_id:uuid}/cancel",
        status_code=HTTP_200_OK,
        summary="Cancel one of my appointments (until the cut-off before its slot)",
        responses=problem_responses(400, 401, 404, 409),
    )
    async def cancel(
        self,
        appointment_id: FromPath[uuid.UUID],
        citizen: NamedDependency[CitizenPrincipal],
        halls: NamedDependency[HallsService],
        db_connection: NamedDependency[Connection],
    ) -> Appointment:
        return await halls.cancel(db_connection, citizen, appointment_id)


class HallWindowController(Controller):
    """The hall's window: the day's bookings and the materials each brings."""

    path = "/ops/v1/halls"
    tags = ["ops 运营"]  # noqa: RUF012

    @get(
        "/{hall_code:str}/appointments",
        opt=WINDOW,
        summary="A hall's appointments of a day, with the carried declarations' materials",
        responses=problem_responses(400, 401, 403, 404),
    )
    async def day(
        self,
        staff: NamedDependency[StaffPrincipal],
        halls: NamedDependency[HallsService],
        db_connection: NamedDependency[Connection],
        hall_code: HallCode,
        day: Annotated[date, QueryParameter(name="date")],
    ) -> HallDay:
        return await halls.hall_day(db_connection, hall_code, day)

    @get(
        "/figures",
        opt=FIGURES,
        summary="Figures per hall: bookings, no-shows, average wait (ticket → call)",
        description="Every hall's bookings of the period by slot day (China business days, "
        "`from`/`to` included; the last 30 days by default, at most 366): cancelled, pending, "
        "arrived, completed, no-shows and the no-show rate, and the numbers its windows called "
        "with their average wait from the ticket to the call. Province-wide accounts only: a "
        "hall serves many departments (a department-scoped account: 403 `PROVINCE_WIDE_ONLY`).",
        responses=problem_responses(400, 401, 403),
    )
    async def figures(
        self,
        staff: NamedDependency[StaffPrincipal],
        halls: NamedDependency[HallsService],
        db_replica: NamedDependency[Connection],
        start: Annotated[date | None, QueryParameter(name="from")] = None,
        end: Annotated[date | None, QueryParameter(name="to")] = None,
    ) -> HallFigures:
        return await halls.figures(db_replica, start, end)
