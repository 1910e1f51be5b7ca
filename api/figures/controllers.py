"""HTTP of figures: the service figures for staff, as JSON or CSV."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal, cast

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, OpenAPIType, Operation, Schema
from litestar.params import QueryParameter

from api.figures.schemas import By, Channel, PublicFigures, ServiceFigures
from api.figures.service import FiguresService, as_csv, public_csv
from core.clock import china_today
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
        db_replica: NamedDependency[Connection],
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
            db_replica,
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


_MONTH = r"^2[01][0-9]{2}-(0[1-9]|1[0-2])$"  # 2000-01 … 2199-12
# Shared caches may keep the answer as long as the service does (the rollup moves by the
# minute; monthly figures hardly move within minutes).
PUBLIC_CACHE_CONTROL = "public, max-age=300"


def _month(text: str) -> date:
    return date.fromisoformat(f"{text}-01")


class PublicFiguresController(Controller):
    """The province's monthly figures for everyone (open data; the mini-program's 办事数据)."""

    path = "/api/v1/figures"
    tags = ["figures 数据公开"]  # noqa: RUF012 - Litestar reads a list

    @get(
        "/monthly",
        responses=problem_responses(400),
        operation_class=_AlsoCsv,
        summary="The province's monthly service figures (anonymous, cacheable)",
        description=(
            "Applications, completions, online handling rate, satisfaction and average working"
            " days per month, oldest first; the last twelve months by default. Schema:"
            " docs/public-figures.md. `Accept: text/csv` or `format=csv` answers CSV. Answers"
            " carry `Cache-Control: public` and an `ETag` (`If-None-Match` → 304)."
        ),
    )
    async def monthly(
        self,
        request: Request[Any, Any, Any],
        figures: NamedDependency[FiguresService],
        db_replica: NamedDependency[Connection],
        start: Annotated[str | None, QueryParameter(name="from", pattern=_MONTH)] = None,
        end: Annotated[str | None, QueryParameter(name="to", pattern=_MONTH)] = None,
        fmt: Annotated[Literal["json", "csv"] | None, QueryParameter(name="format")] = None,
    ) -> Response[PublicFigures]:
        last = _month(end) if end else china_today(figures.clock.now()).replace(day=1)
        if start:
            first = _month(start)
        else:
            first = (
                date(last.year - 1, last.month, 1)
                if last.month == 12
                else date(last.year - 1, last.month + 1, 1)
            )
        answer = await figures.public_figures(db_replica, first, last)
        wants_csv = fmt == "csv" or (
            fmt is None and request.accept.best_match(["application/json", CSV]) == CSV
        )
        body, media_type = (
            (public_csv(answer).encode(), CSV)
            if wants_csv
            else (figures.encode(answer), "application/json")
        )
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        headers = {"Cache-Control": PUBLIC_CACHE_CONTROL, "ETag": etag, "Vary": "Accept"}
        if request.headers.get("if-none-match") == etag:
            return cast("Response[PublicFigures]", Response(b"", status_code=304, headers=headers))
        # The body is the encoded PublicFigures (or its CSV): the annotation keeps the OpenAPI
        # schema exact.
        return cast(
            "Response[PublicFigures]", Response(body, media_type=media_type, headers=headers)
        )
