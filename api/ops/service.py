"""What staff see of the system itself: the audit chain's integrity, jobs that gave up (and
what a supervisor does with them: retry or discard, audited)."""

from __future__ import annotations

from typing import Any

from api.ops.errors import DeadLetterNotFound, JobAlreadyQueued
from api.ops.schemas import AuditReport, DeadLetter, JobSubjectOut
from core import audit, dead_letters
from core.db import Connection
from core.dead_letters import ParkedJobRow
from core.jobs import JobRegistry, decode_payload, subject_of
from core.logging import mask_personal_data
from core.principals import StaffPrincipal

ERROR_TEXT_LIMIT = 300


def _error_text(traceback: Any) -> str | None:
    """Type and message of the last error, not the traceback (which may quote anything)."""
    if not isinstance(traceback, dict):
        return None
    text = f"{traceback.get('exception_type', '')}: {traceback.get('exception_message', '')}"
    return mask_personal_data(text[:ERROR_TEXT_LIMIT])


class OpsService:
    """``jobs``: every domain's jobs as the worker runs them, so a dead letter is described
    by its domain and revived through its domain's hooks (built by ``api.ops.deps``)."""

    def __init__(self, *, jobs: JobRegistry) -> None:
        self.jobs = jobs

    async def verify_audit_chain(self, conn: Connection) -> AuditReport:
        result = await audit.verify(conn)
        return AuditReport(
            ok=result.ok,
            rows_checked=result.rows_checked,
            first_broken_id=result.first_broken_id,
            reason=result.reason,
        )

    def _subject(self, entrypoint: str, payload: bytes | None) -> JobSubjectOut:
        subject = subject_of(self.jobs.specs.get(entrypoint), entrypoint, payload)
        return JobSubjectOut(kind=subject.kind, id=subject.id, summary=subject.summary)

    async def dead_letters(self, conn: Connection, limit: int) -> list[DeadLetter]:
        return [
            DeadLetter(
                id=row.id,
                entrypoint=row.entrypoint,
                attempts=row.attempts,
                created=row.created,
                updated=row.updated,
                subject=self._subject(row.entrypoint, row.payload),
                last_error=_error_text(row.last_error),
            )
            for row in await dead_letters.failed_jobs(conn, limit)
        ]

    async def retry_dead_letter(self, conn: Connection, staff: StaffPrincipal, job_id: int) -> None:
        """Put a parked job back in the queue; its domain first undoes what it marked failed."""
        row = await dead_letters.parked_job(conn, job_id)
        if row is None:
            raise DeadLetterNotFound()
        if row.dedupe_key and await dead_letters.live_duplicate(conn, row.dedupe_key, job_id):
            raise JobAlreadyQueued()
        spec = self.jobs.specs.get(row.entrypoint)
        if spec is not None and spec.on_retry is not None:
            await spec.on_retry(conn, decode_payload(spec, row.payload))
        await dead_letters.requeue(conn, job_id)
        await self._audit(conn, staff, "ops.dead_letter_retry", row)

    async def discard_dead_letter(
        self, conn: Connection, staff: StaffPrincipal, job_id: int
    ) -> None:
        """Give the job up for good; what it was delivering stays failed (its on_dead hook)."""
        row = await dead_letters.parked_job(conn, job_id)
        if row is None:
            raise DeadLetterNotFound()
        await dead_letters.discard(conn, job_id)
        await self._audit(conn, staff, "ops.dead_letter_discard", row)

    async def _audit(
        self, conn: Connection, staff: StaffPrincipal, action: str, row: ParkedJobRow
    ) -> None:
        subject = self._subject(row.entrypoint, row.payload)
        await audit.append(
            conn,
            actor_type="staff",
            actor_id=str(staff.staff_id),
            action=action,
            target_type="job",
            target_id=str(row.id),
            details={
                "entrypoint": row.entrypoint,
                "subjectKind": subject.kind,
                "subjectId": subject.id,
                "role": staff.role,
            },
        )
