"""Ops console: system views, each limited to the roles that need it."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.status_codes import HTTP_204_NO_CONTENT

from api.ops import service
from api.ops.schemas import AuditReport, DeadLetter
from core.db import Connection
from core.jobs import JobRegistry
from core.openapi import problem_responses
from core.principals import StaffPrincipal

SUPERVISORS = ["supervisor", "admin"]


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

    @get("/jobs/dead-letters", opt={"staff_roles": SUPERVISORS},
         responses=problem_responses(400, 401, 403),
         summary="Jobs that failed every attempt and wait for a person, with what each concerns")  # fmt: skip
    async def dead_letters(
        self,
        staff: NamedDependency[StaffPrincipal],
        db_connection: NamedDependency[Connection],
        job_registry: NamedDependency[JobRegistry],
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
    ) -> list[DeadLetter]:
        return await service.dead_letters(db_connection, job_registry, limit)

    @post("/jobs/dead-letters/{job_id:int}/retry", opt={"staff_roles": SUPERVISORS},
          status_code=HTTP_204_NO_CONTENT, responses=problem_responses(401, 403, 404, 409),
          summary="Put a parked job back in the queue (audited)")  # fmt: skip
    async def retry_dead_letter(
        self,
        staff: NamedDependency[StaffPrincipal],
        db_connection: NamedDependency[Connection],
        job_registry: NamedDependency[JobRegistry],
        job_id: FromPath[int],
    ) -> None:
        await service.retry_dead_letter(db_connection, job_registry, staff, job_id)

    @post("/jobs/dead-letters/{job_id:int}/discard", opt={"staff_roles": SUPERVISORS},
          status_code=HTTP_204_NO_CONTENT, responses=problem_responses(401, 403, 404),
          summary="Give a parked job up for good (audited)")  # fmt: skip
    async def discard_dead_letter(
        self,
        staff: NamedDependency[StaffPrincipal],
        db_connection: NamedDependency[Connection],
        job_registry: NamedDependency[JobRegistry],
        job_id: FromPath[int],
    ) -> None:
        await service.discard_dead_letter(db_connection, job_registry, staff, job_id)
