"""HTTP of figures: the service figures for staff, as JSON or CSV."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, OpenAPIType, Operation, Schema
from litestar.params import QueryParameter

from api.figures.schemas import By, Channel, ServiceFigures
from api.figures.service import FiguresService, as_csv
from core.db import Connection
from core.openapi import problem_responses
from core.principals import ANY_STAFF, SCOPED, StaffPrincipal

CSV = "text/csv"


@dataclass
class _AlsoCsv(Operation):
    """The success answer is documented in CSV too (``Accept: text/csv`` or ``format=csv``)."""

    def __post_init__(self) -> None:
        for status, response in (self.responses or {}).items():
            if status.startswith("2") and isinstance(response, OpenAPIResponse):
                response.content = dict(response.content or {}) | {
                    CSV: OpenAPIMediaType(
                        schema=Schema(
                            type=OpenAPIType.STRING,
                            description="A header row of the JSON fields' names, one row per "
                            "key, then the total row",
                        )
                    )
                }


class FiguresController(Controller):
    path = "/ops/v1/figures"
    tags = ["ops 运营"]  # noqa: RUF012 - Litestar reads a list

    @get(
        "/service",
        opt={"staff_roles": ANY_STAFF, "departments": SCOPED},
        responses=problem_responses(400, 401, 403),
        operation_class=_AlsoCsv,
        summary="Service figures of a period by item, department, region, channel or period",
        description=(
            "Applications, online handling rate, acceptance and completion working days (median,"
            " p90), overdue, supplement and repeat-supplement rates, 容缺 acceptances and"
            " refusals, from the daily rollup (China business days). `Accept: text/csv` or"
            " `format=csv` answers CSV. A department-scoped account gets its departments only"
            " (another department: 403 `DEPARTMENT_OUT_OF_SCOPE`)."
        ),
    )
    async def service_figures(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[StaffPrincipal],
        figures: NamedDependency[FiguresService],
        db_read: NamedDependency[Connection],
        start: Annotated[date, QueryParameter(name="from")],
        end: Annotated[date, QueryParameter(name="to")],
        by: Annotated[By, QueryParameter()] = "department",
        item: Annotated[str | None, QueryParameter(max_length=64)] = None,
        department: Annotated[str | None, QueryParameter(max_length=64)] = None,
        region: Annotated[str | None, QueryParameter(max_length=12)] = None,
        channel: Annotated[Channel | None, QueryParameter()] = None,
        fmt: Annotated[Literal["json", "csv"] | None, QueryParameter(name="format")] = None,
    ) -> Response[ServiceFigures | str]:
        answer = await figures.service_figures(
            db_read,
            start,
            end,
            by,
            item=item,
            departments=staff.department_scope(department),
            region=region,
            channel=channel,
        )
        wants_csv = fmt == "csv" or (
            fmt is None and request.accept.best_match(["application/json", CSV]) == CSV
        )
        if wants_csv:
            name = f"service-figures-{start}-{end}-{by}.csv"
            return Response(
                as_csv(answer),
                media_type=CSV,
                headers={"Content-Disposition": f'attachment; filename="{name}"'},
            )
        return Response(answer)
