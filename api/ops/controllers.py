"""Ops console: system views, each limited to the roles that need it."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from api.ops import service
from api.ops.schemas import AuditReport, DeadLetter
from core.db import Connection
from core.openapi import problem_responses
from core.principals import StaffPrincipal


class OpsSystemController(Controller):
    path = "/ops/v1/system"
    tags = ["ops 运营"]  # noqa: RUF012 - Litestar reads a list

    @get("/audit/verify", opt={"staff_roles": ["auditor", "admin"]},
         responses=problem_responses(401, 403),
         summary="Walk the audit chain and report the first broken link")  # fmt: skip
    async def verify_audit(
        self, staff: NamedDependency[StaffPrincipal], db_connection: NamedDependency[Connection]
    ) -> AuditReport:
        return await service.verify_audit_chain(db_connection)

    @get("/jobs/dead-letters", opt={"staff_roles": ["supervisor", "admin"]},
         responses=problem_responses(400, 401, 403),
         summary="Jobs that failed every attempt and wait for a person")  # fmt: skip
    async def dead_letters(
        self,
        staff: NamedDependency[StaffPrincipal],
        db_connection: NamedDependency[Connection],
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
    ) -> list[DeadLetter]:
        return await service.dead_letters(db_connection, limit)
