"""Who is calling, as every domain sees it (the identity domain authenticates them)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from core.errors import DomainError


class DepartmentOutOfScope(DomainError, status=403, code="DEPARTMENT_OUT_OF_SCOPE"):
    """A department-scoped staff account asked for another department's cases or figures."""


class ProvinceWideOnly(DomainError, status=403, code="PROVINCE_WIDE_ONLY"):
    """A department-scoped staff account called a route whose data is not cut by department
    (payments, notices, system views): only province-wide accounts may."""


class ApplicantTypeRefused(DomainError, status=403, code="APPLICANT_TYPE_REFUSED"):
    """The item is not for this kind of applicant (a company applying for a person's item, or
    the reverse): the platform's ``targets`` of the item say whom it serves."""


class ItemNotInMandate(DomainError, status=403, code="ITEM_NOT_IN_MANDATE"):
    """The authorisation the request acts under does not cover this item."""


# The platform's ``targets`` of an item (its applicant types) by the kind of party applying.
TARGET_OF_KIND = {"natural": "person", "legal": "company"}


@dataclass(frozen=True, slots=True)
class CitizenPrincipal:
    """``citizen_id`` is the owner (subject) of everything the request reads or writes: the
    signed-in person, or the party they act for (a company, a person who authorised them;
    docs/acting-as.md). Every ownership check compares with it, so acting changes whose data
    a request reaches and nothing else. ``actor_id`` is the person who acts when that is not
    the owner; ``mandate_id`` the authorisation they act under, ``items`` the items it covers
    (None: every item)."""

    citizen_id: uuid.UUID
    family_id: str
    acr: int
    method: str
    actor_id: uuid.UUID | None = None
    mandate_id: uuid.UUID | None = None
    party_kind: str = "natural"  # the owner's: "natural" or "legal"
    items: frozenset[str] | None = None
    # A hall worker acting for the citizen (帮办, their assistance token): the worker's staff
    # id; ``actor_id`` stays None (the actor is no citizen).
    actor_staff_id: uuid.UUID | None = None

    @property
    def actor(self) -> uuid.UUID:
        """The person behind the request (the owner when they act for themselves)."""
        return self.actor_id if self.actor_id is not None else self.citizen_id

    @property
    def acting(self) -> bool:
        return self.actor_id is not None or self.actor_staff_id is not None

    def covers(self, item_code: str) -> bool:
        """Whether the authorisation the request acts under covers this item."""
        return self.items is None or item_code in self.items

    def check_may_apply(self, item_code: str, targets: list[str]) -> None:
        """Refuses an item the owner may not apply for: outside the mandate's items, or not
        for the owner's kind of party (``targets`` as the platform publishes them; none
        published means natural persons, the platform's default)."""
        if not self.covers(item_code):
            raise ItemNotInMandate(itemCode=item_code)
        if TARGET_OF_KIND[self.party_kind] not in (targets or ["person"]):
            raise ApplicantTypeRefused(applicantType=self.party_kind, accepted=targets)


@dataclass(frozen=True, slots=True)
class StaffPrincipal:
    staff_id: uuid.UUID
    username: str
    role: str
    token_hash: bytes
    # The department codes a department-scoped account is limited to; None: province-wide.
    departments: frozenset[str] | None = None

    def department_scope(self, requested: str | None = None) -> tuple[str, ...] | None:
        """Which departments this caller's answer may cover: None for all of them (a
        province-wide account asking for no department), else the codes to keep. A scoped
        account asking for a department outside its own raises ``DepartmentOutOfScope``."""
        if self.departments is None:
            return None if requested is None else (requested,)
        if requested is None:
            return tuple(sorted(self.departments))
        if requested not in self.departments:
            raise DepartmentOutOfScope(department=requested)
        return (requested,)


class MandateItemsOnly(DomainError, status=403, code="MANDATE_ITEMS_ONLY"):
    """The authorisation the request acts under covers some items only, and the route serves
    the party's resources without cutting them by item (the licence wallet, the material
    library, the inbox): an agent limited to items reaches the party's data only through what
    belongs to those items (docs/acting-as.md)."""


# Who may call a staff route, by role group: a handler's ``opt={"staff_roles": ...}`` (the
# staff guard admits a session whose role is in it).
ANY_STAFF = ("operator", "supervisor", "auditor", "admin")
OPERATORS = ("operator", "supervisor", "admin")
SUPERVISORS = ("supervisor", "admin")
AUDITORS = ("auditor", "admin")

# How a staff route treats a department-scoped account (``opt={"departments": ...}``):
# ``SCOPED`` — the handler limits its answer to the caller's departments
# (``StaffPrincipal.department_scope``); ``UNSCOPED`` — the route carries no department's data
# (the caller's own profile, the working calendar). A route without either refuses a scoped
# account (``ProvinceWideOnly``): a new staff route is closed to it until it says otherwise.
SCOPED = "scoped"
UNSCOPED = "unscoped"

# A route that serves a party's resources takes ``X-Acting-As`` (docs/acting-as.md) only when
# its ``opt`` (or its controller's) says so: ``opt = ACTING_AS`` on the controller. Any other
# route refuses the header (ACTING_AS_NOT_ALLOWED): deny by default.
ACTING_AS = {"acting_as": True}
# A route that takes the header and keeps its answer within the mandate's items (it reaches
# only declarations, and what hangs on them, of the items ``CitizenPrincipal.covers``):
# ``opt = ACTING_AS_WITHIN_ITEMS``. A route that takes the header without saying so is refused
# to a principal whose mandate is limited to items (MANDATE_ITEMS_ONLY): deny by default again,
# so a new route of a party's resources is closed to such an agent until it filters by item.
ACTING_AS_WITHIN_ITEMS = {"acting_as": True, "within_items": True}
