from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec


class _Out(msgspec.Struct, rename="camel", kw_only=True):
    pass


class AuditReport(_Out, kw_only=True):
    ok: bool
    rows_checked: int
    first_broken_id: int | None = None
    reason: str | None = None


class DeadLetter(_Out, kw_only=True):
    id: int
    entrypoint: str
    attempts: int
    created: datetime
    updated: datetime
    last_error: Any = None
