from __future__ import annotations

from datetime import datetime

import msgspec


class _Out(msgspec.Struct, rename="camel", kw_only=True):
    pass


class AuditReport(_Out, kw_only=True):
    ok: bool
    rows_checked: int
    first_broken_id: int | None = None
    reason: str | None = None


class JobSubjectOut(_Out, kw_only=True):
    """What a job concerns: a kind (declaration, message, order…), its id, a Chinese summary.
    Never personal data."""

    kind: str
    id: str
    summary: str


class DeadLetter(_Out, kw_only=True):
    id: int
    entrypoint: str
    attempts: int
    created: datetime
    updated: datetime
    subject: JobSubjectOut | None = None
    # The last error's type and message, personal data masked.
    last_error: str | None = None
