"""What staff see of the system itself: the audit chain's integrity, jobs that gave up."""

from __future__ import annotations

from api.ops import repository as repo
from api.ops.schemas import AuditReport, DeadLetter
from core import audit
from core.db import Connection


async def verify_audit_chain(conn: Connection) -> AuditReport:
    result = await audit.verify(conn)
    return AuditReport(
        ok=result.ok,
        rows_checked=result.rows_checked,
        first_broken_id=result.first_broken_id,
        reason=result.reason,
    )


async def dead_letters(conn: Connection, limit: int) -> list[DeadLetter]:
    return [DeadLetter(**dict(row)) for row in await repo.dead_letters(conn, limit)]
