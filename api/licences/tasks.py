"""Job handlers of the wallet: import a licence, follow the library's event feed."""

from __future__ import annotations

from api.licences.service import IMPORT_JOB, SYNC_JOB, LicenceJob, LicencesService
from core.jobs import JobRegistry

# Revocations are polled (the library publishes an event feed; no callback to secure).
SYNC_CRON = "* * * * *"


def register(registry: JobRegistry, licences: LicencesService) -> None:
    async def import_licence(job: LicenceJob) -> None:
        await licences.import_licence(job.licence_number)

    async def sync(_: None) -> None:
        await licences.sync_feed()

    # The library may be down for a while: the backoff is capped, the import keeps trying.
    registry.register(IMPORT_JOB, import_licence, LicenceJob, max_attempts=1000)
    registry.register(SYNC_JOB, sync, concurrency_limit=1)
    registry.every(SYNC_CRON, SYNC_JOB)
