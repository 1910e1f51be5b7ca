"""Jobs of the wallet: import a licence, follow the library's event feed.

Job names and payloads live here; the service enqueues them, the handlers call the service.
Both jobs talk to the licence library between their statements, so the service takes the pool
and holds a connection only around its own reads and writes, never across a library call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from core.jobs import JobRegistry

if TYPE_CHECKING:
    from api.licences.service import LicencesService

IMPORT_JOB = "licences.import"
SYNC_JOB = "licences.sync"
# Revocations are polled (the library publishes an event feed; no callback to secure).
SYNC_CRON = "* * * * *"


class LicenceJob(msgspec.Struct):
    licence_number: str


def register(registry: JobRegistry, licences: LicencesService) -> None:
    async def import_licence(job: LicenceJob) -> None:
        await licences.import_licence(job.licence_number)

    async def sync(_: None) -> None:
        await licences.sync_feed()

    # The library may be down for a while: the backoff is capped, the import keeps trying.
    registry.register(IMPORT_JOB, import_licence, LicenceJob, max_attempts=1000)
    registry.register(SYNC_JOB, sync, concurrency_limit=1)
    registry.every(SYNC_CRON, SYNC_JOB)
