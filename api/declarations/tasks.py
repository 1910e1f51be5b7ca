"""Job handlers of declarations: deliver to the platform, apply its events, supervise deadlines."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from api.declarations.service import (
    APPLY_EVENTS_JOB,
    SUBMIT_JOB,
    SUPERVISE_JOB,
    SUPPLEMENT_JOB,
    TOLERATED_JOB,
    CaseJob,
    DeclarationJob,
    DeclarationsService,
)
from core.jobs import JobRegistry, JobSubject

NEVER_GIVE_UP = 1_000_000


def register(registry: JobRegistry, declarations: DeclarationsService) -> None:
    async def submit(job: DeclarationJob) -> None:
        await declarations.deliver(uuid.UUID(job.declaration_id))

    async def supplement(job: DeclarationJob) -> None:
        await declarations.deliver_supplement(uuid.UUID(job.declaration_id))

    async def supply_tolerated(job: DeclarationJob) -> None:
        await declarations.deliver_tolerated(uuid.UUID(job.declaration_id))

    async def apply_events(job: CaseJob) -> None:
        await declarations.apply_events(job.case_number)

    async def supervise(_: None) -> None:
        await declarations.supervise()

    # A citizen's submission is never given up: with the backoff capped (max_delay_s), these
    # attempts outlast any platform outage.
    registry.register(
        SUBMIT_JOB, submit, DeclarationJob, max_attempts=NEVER_GIVE_UP,
        describe=_declaration("向省平台提交申报"),
    )  # fmt: skip
    registry.register(
        SUPPLEMENT_JOB, supplement, DeclarationJob, max_attempts=NEVER_GIVE_UP,
        describe=_declaration("向省平台提交补正材料"),
    )  # fmt: skip
    registry.register(
        TOLERATED_JOB, supply_tolerated, DeclarationJob, max_attempts=NEVER_GIVE_UP,
        describe=_declaration("向省平台补交容缺材料"),
    )  # fmt: skip
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
