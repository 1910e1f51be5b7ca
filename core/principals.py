"""Who is calling, as every domain sees it (the identity domain authenticates them)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CitizenPrincipal:
    citizen_id: uuid.UUID
    family_id: str
    acr: int
    method: str


@dataclass(frozen=True, slots=True)
class StaffPrincipal:
    staff_id: uuid.UUID
    username: str
    role: str
    token_hash: bytes


# Who may call a staff route, by role group: a handler's ``opt={"staff_roles": ...}`` (the
# staff guard admits a session whose role is in it).
ANY_STAFF = ("operator", "supervisor", "auditor", "admin")
OPERATORS = ("operator", "supervisor", "admin")
SUPERVISORS = ("supervisor", "admin")
AUDITORS = ("auditor", "admin")
