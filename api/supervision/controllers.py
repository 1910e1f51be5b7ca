"""HTTP of supervision: the list of open cases with their flags, and the cards per department
with their trend. A department-scoped account sees its departments only."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from api.supervision.schemas import Flag, SupervisedCasePage, SupervisionCards
from api.supervision.service import SupervisionService
from core.db import Connection
from core.openapi import problem_responses
from core.principals import ANY_STAFF, SCOPED, StaffPrincipal

_OPT = {"staff_roles": ANY_STAFF, "departments": SCOPED}


class SupervisionController(Controller):
    path = "/ops/v1/supervision"
    tags = ["ops 运营"]  # noqa: RUF012 - Litestar reads a list

    @get(
        "/cases",
        opt=_OPT,
        responses=problem_responses(400, 401, 403),
        summary="Open cases by deadline with yellow (≤ 1 working day left) and red (overdue) "
        "flags; the applicant's name masked",
        description="A department-scoped account gets its departments only (another "
        "department: 403 `DEPARTMENT_OUT_OF_SCOPE`).",
    )
    async def cases(
        self,
        staff: NamedDependency[StaffPrincipal],
        supervision: NamedDependency[SupervisionService],
        db_connection: NamedDependency[Connection],
        department: Annotated[str | None, QueryParameter(max_length=64)] = None,
        flag: Annotated[Flag | None, QueryParameter()] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        offset: Annotated[int, QueryParameter(ge=0, le=100_000)] = 0,
    ) -> SupervisedCasePage:
        return await supervision.cases(
            db_connection, staff, department=department, flag=flag, limit=limit, offset=offset
        )

    @get(
        "/cards",
        opt=_OPT,
        responses=problem_responses(400, 401, 403),
        summary="Yellow and red cards per department and China month, with the trend",
        description="The months up to `to` (YYYY-MM, 2000-2099; default the last finished month), oldest "
        "first, and the thresholds in force.",
    )
    async def cards(
        self,
        staff: NamedDependency[StaffPrincipal],
        supervision: NamedDependency[SupervisionService],
        db_connection: NamedDependency[Connection],
        department: Annotated[str | None, QueryParameter(max_length=64)] = None,
        to_month: Annotated[
            str | None, QueryParameter(name="to", pattern=r"^20\d{2}-(0[1-9]|1[0-2])$")
        ] = None,
        months: Annotated[int, QueryParameter(ge=1, le=24)] = 6,
    ) -> SupervisionCards:
        return await supervision.cards(
            db_connection, staff, department=department, to_month=to_month, months=months
        )
