"""Jobs of bundles: a member started once the members it needs the result of have completed.

The service enqueues the job in the transaction where the last predecessor's completion is
recorded (so it exists iff that completion commits); the handler opens its own transaction."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import msgspec

from core.jobs import JobRegistry, JobSubject

if TYPE_CHECKING:
    from api.bundles.service import BundlesService

RELEASE_JOB = "bundles.release"


class MemberJob(msgspec.Struct):
    bundle_id: str
    item_code: str


def register(registry: JobRegistry, bundles: BundlesService) -> None:
    async def release(job: MemberJob) -> None:
        async with bundles.pool.acquire() as conn, conn.transaction():
            await bundles.release(conn, uuid.UUID(job.bundle_id), job.item_code)

    registry.register(RELEASE_JOB, release, MemberJob, describe=_member)


def _member(job: MemberJob) -> JobSubject:
    return JobSubject(
        kind="bundle", id=job.bundle_id, summary=f"一件事：启动后续事项 {job.item_code}"
    )
