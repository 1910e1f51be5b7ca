"""Job handlers of declarations: deliver to the platform, apply its events, supervise deadlines."""

from __future__ import annotations

import uuid

from api.declarations.service import (
    APPLY_EVENTS_JOB,
    SUBMIT_JOB,
    SUPERVISE_JOB,
    SUPPLEMENT_JOB,
    CaseJob,
    DeclarationJob,
    DeclarationsService,
)
from core.jobs import JobRegistry


def register(registry: JobRegistry, declarations: DeclarationsService) -> None:
    async def submit(job: DeclarationJob) -> None:
        await declarations.deliver(uuid.UUID(job.declaration_id))

    async def supplement(job: DeclarationJob) -> None:
        await declarations.deliver_supplement(uuid.UUID(job.declaration_id))

    async def apply_events(job: CaseJob) -> None:
        await declarations.apply_events(job.case_number)

    async def supervise(_: None) -> None:
        await declarations.supervise()

    registry.register(SUBMIT_JOB, submit, DeclarationJob)
    registry.register(SUPPLEMENT_JOB, supplement, DeclarationJob)
    # One case's events at a time would be enough; one at a time overall is simpler and the
    # row lock keeps it correct either way.
    registry.register(APPLY_EVENTS_JOB, apply_events, CaseJob)
    registry.register(SUPERVISE_JOB, supervise)
    registry.every("0 * * * *", SUPERVISE_JOB)
