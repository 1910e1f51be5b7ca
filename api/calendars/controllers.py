"""The working-day calendar for staff: what is loaded, any year's days, a notice's import."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK

from api.calendars.schemas import CalendarOverview, CalendarYear, ImportResult, NoticeUpload
from api.calendars.service import Calendars, parse_notice
from api.guards import client_ip
from core.db import Connection
from core.openapi import problem_responses
from core.principals import ANY_STAFF, SUPERVISORS, UNSCOPED, StaffPrincipal


class OpsCalendarController(Controller):
    path = "/ops/v1/calendar"
    tags = ["ops 运营"]  # noqa: RUF012 - Litestar reads a list

    @get(
        "",
        opt={"staff_roles": ANY_STAFF, "departments": UNSCOPED},
        responses=problem_responses(401, 403),
        summary="Official years loaded (with their source) and whether a notice is missing",
    )
    async def overview(
        self,
        staff: NamedDependency[StaffPrincipal],
        calendars: NamedDependency[Calendars],
        db_connection: NamedDependency[Connection],
    ) -> CalendarOverview:
        return await calendars.overview(db_connection)

    @get(
        "/{year:int}",
        opt={"staff_roles": ANY_STAFF, "departments": UNSCOPED},
        responses=problem_responses(401, 403, 404),
        summary="A year's holidays and 调休 working days: the notice's, or the provisional rule's",
    )
    async def year(
        self,
        year: FromPath[int],
        staff: NamedDependency[StaffPrincipal],
        calendars: NamedDependency[Calendars],
        db_connection: NamedDependency[Connection],
    ) -> CalendarYear:
        return await calendars.year(db_connection, year)

    @post(
        "/notices",
        status_code=HTTP_200_OK,
        opt={"staff_roles": SUPERVISORS},
        responses=problem_responses(401, 403, 422),
        summary="Import a year's notice of the State Council (the notice file's text, TOML); "
        "open deadlines are recomputed and citizens told",
    )
    async def import_notice(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[NoticeUpload],
        staff: NamedDependency[StaffPrincipal],
        calendars: NamedDependency[Calendars],
        db_connection: NamedDependency[Connection],
    ) -> ImportResult:
        return await calendars.import_notice(
            db_connection,
            parse_notice(data.notice),
            imported_by=f"{staff.username} ({staff.role})",
            actor_type="staff",
            actor_id=str(staff.staff_id),
            ip=client_ip(request),
        )
