"""Jobs of declarations: their names and payloads, and their handlers (deliver to the platform,
apply its events, supervise deadlines), each opening its connection and transaction here.

The service enqueues these jobs in the transaction of the change they follow (so it imports
the names and payloads from here); this module needs the service's type only, never at run
time, so there is no import cycle.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

import msgspec

from core.jobs import JobRegistry, JobSubject

if TYPE_CHECKING:
    from api.declarations.service import DeclarationsService

SUBMIT_JOB = "declarations.submit"
SUPPLEMENT_JOB = "declarations.supplement"
TOLERATED_JOB = "declarations.supply_tolerated"
APPLY_EVENTS_JOB = "declarations.apply_events"
SUPERVISE_JOB = "declarations.supervise"

NEVER_GIVE_UP = 1_000_000


class DeclarationJob(msgspec.Struct):
    declaration_id: str


class CaseJob(msgspec.Struct):
    case_number: str


class DeclarationJobs:
    """The jobs as the worker runs them. A delivery reads in one connection, calls the platform
    holding none, and records the answer in a transaction of its own: a slow platform never
    holds a connection or a row lock."""

    def __init__(self, declarations: DeclarationsService) -> None:
        self._declarations = declarations
        self._pool = declarations.pool

    async def deliver(self, declaration_id: uuid.UUID) -> None:
        declarations = self._declarations
        async with self._pool.acquire() as conn:
            submission = await declarations.submission_to_deliver(conn, declaration_id)
        if submission is None:
            return
        outcome = await declarations.send_submission(submission)
        async with self._pool.acquire() as conn, conn.transaction():
            await declarations.record_submission(
                conn, declaration_id, submission.idempotency_key, outcome
            )

    async def deliver_supplement(self, declaration_id: uuid.UUID) -> None:
        declarations = self._declarations
        async with self._pool.acquire() as conn:
            supplement = await declarations.supplement_to_deliver(conn, declaration_id)
        if supplement is None:
            return
        refused = await declarations.send_supplement(supplement)
        async with self._pool.acquire() as conn, conn.transaction():
            await declarations.record_supplement(conn, declaration_id, refused)

    async def deliver_tolerated(self, declaration_id: uuid.UUID) -> None:
        declarations = self._declarations
        async with self._pool.acquire() as conn:
            tolerated = await declarations.tolerated_to_deliver(conn, declaration_id)
        if tolerated is None:
            return
        refused = await declarations.send_tolerated(tolerated)
        async with self._pool.acquire() as conn, conn.transaction():
            await declarations.record_tolerated(conn, declaration_id, tolerated, refused)

    async def apply_events(self, case_number: str) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            await self._declarations.apply_stored(conn, case_number)

    async def supervise(self, now: datetime | None = None) -> int:
        async with self._pool.acquire() as conn, conn.transaction():
            return await self._declarations.supervise(conn, now)


def register(registry: JobRegistry, declarations: DeclarationsService) -> None:
    jobs = DeclarationJobs(declarations)

    async def submit(job: DeclarationJob) -> None:
        await jobs.deliver(uuid.UUID(job.declaration_id))

    async def supplement(job: DeclarationJob) -> None:
        await jobs.deliver_supplement(uuid.UUID(job.declaration_id))

    async def supply_tolerated(job: DeclarationJob) -> None:
        await jobs.deliver_tolerated(uuid.UUID(job.declaration_id))

    async def apply_events(job: CaseJob) -> None:
        await jobs.apply_events(job.case_number)

    async def supervise(_: None) -> None:
        await jobs.supervise()

    # A citizen's submission is never given up: with the backoff capped (max_delay_s), these
    # attempts outlast any platform outage.
    registry.register(
        SUBMIT_JOB,
        submit,
        DeclarationJob,
        max_attempts=NEVER_GIVE_UP,
        describe=_declaration("向省平台提交申报"),
    )
    registry.register(
        SUPPLEMENT_JOB,
        supplement,
        DeclarationJob,
        max_attempts=NEVER_GIVE_UP,
        describe=_declaration("向省平台提交补正材料"),
    )
    registry.register(
        TOLERATED_JOB,
        supply_tolerated,
        DeclarationJob,
        max_attempts=NEVER_GIVE_UP,
        describe=_declaration("向省平台补交容缺材料"),
    )
    # One case's events at a time would be enough; one at a time overall is simpler and the
    # row lock keeps it correct either way.
    registry.register(APPLY_EVENTS_JOB, apply_events, CaseJob, describe=_case_events)
    registry.register(SUPERVISE_JOB, supervise)
    registry.every("0 * * * *", SUPERVISE_JOB)


def _declaration(summary: str) -> Callable[[DeclarationJob], JobSubject]:
    """What a delivery job concerns, for the dead-letter view."""

    def describe(job: DeclarationJob) -> JobSubject:
        return JobSubject(kind="declaration", id=job.declaration_id, summary=summary)

    return describe


def _case_events(job: CaseJob) -> JobSubject:
    return JobSubject(kind="case", id=job.case_number, summary="应用省平台的办件进度")
