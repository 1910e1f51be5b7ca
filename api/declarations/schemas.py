"""Wire contracts of declarations."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

import msgspec

from api.catalog.schemas import FormField

ItemCode = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class PlatformEvent(msgspec.Struct, rename="camel", kw_only=True):
    """A status event of a case, as the platform's callback (or a case's history) carries it."""

    event_id: str
    case_number: str
    sequence: int
    status: str
    # With its offset (RFC 3339): the acceptance day is China's day of this instant.
    occurred_at: Annotated[datetime, msgspec.Meta(tz=True)]
    idempotency_key: str = ""
    reason: str | None = None
    supplement: dict[str, Any] | None = None
    acceptance: dict[str, Any] | None = None
    result: dict[str, Any] | None = None
    payment_notice: dict[str, Any] | None = None


class _In(msgspec.Struct, rename="camel", kw_only=True, forbid_unknown_fields=True):
    pass


class _Out(msgspec.Struct, rename="camel", kw_only=True):
    pass


class CreateDeclaration(_In, kw_only=True):
    item_code: ItemCode


class SaveForm(_In, kw_only=True):
    form_data: dict[str, Any]


class ReuseMaterial(_In, kw_only=True):
    material_id: str


class UseLicence(_In, kw_only=True):
    licence_number: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class Withdraw(_In, kw_only=True):
    reason: Annotated[str, msgspec.Meta(max_length=200)] = ""


class TimelineEntry(_Out, kw_only=True):
    state: str
    previous_state: str | None
    actor: str
    reason: str | None
    details: dict[str, Any] | None
    at: datetime
    # The person who took the step for the owner (a company's agent, a family member); None
    # when the owner did (docs/acting-as.md).
    acted_by: str | None = None


class LibraryMaterial(_Out, kw_only=True):
    id: str
    display_name: str
    kind: str
    content_type: str
    size: int
    sha256: str
    created_at: datetime | None = None


class RequiredMaterial(_Out, kw_only=True):
    """A material the guide asks for, and what the citizen has given for it."""

    code: str
    name: str
    required: bool
    tolerance: bool
    formats: list[str]
    max_size_kb: int
    licence_types: list[str]
    file: LibraryMaterial | None = None
    licence_number: str | None = None
    needs_replacement: bool = False
    problem: str | None = None
    # Already in the citizen's library or wallet: offered instead of asking again.
    suggestions: list[LibraryMaterial] = []
    licence_suggestions: list[str] = []


class Prefill(_Out, kw_only=True):
    """The applicant, from the real-name profile (masked; sent in full to the platform)."""

    name: str | None
    id_number: str | None
    phone: str | None


class SupplementNotice(_Out, kw_only=True):
    notice: str
    items: list[dict[str, str]]


class DeliveryRefusal(_Out, kw_only=True):
    """The platform's last refusal of something we delivered for the citizen.

    ``kind``: ``submission`` (the declaration is ``platform_refused``: redraft or withdraw it),
    ``supplement`` (back in ``needs_supplement``: correct and resubmit) or ``tolerated`` (the
    容缺 materials stay outstanding: replace and send again). ``reason`` is Chinese."""

    kind: str
    code: str
    reason: str
    at: datetime
    materials: list[str] = []


class DeclarationSummary(_Out, kw_only=True):
    id: str
    item_code: str
    item_name: str
    state: str
    delivery: str
    case_number: str | None
    submitted_at: datetime | None
    promised_due: date | None
    supervision: str
    updated_at: datetime
    # Counted on a year without the State Council's notice (statutory holidays only): it may
    # move when the notice is imported, and the citizen is then told.
    promised_due_provisional: bool = False


class DeclarationPage(_Out, kw_only=True):
    items: list[DeclarationSummary]
    total: int
    page: int
    page_size: int


class DeclarationDetail(DeclarationSummary, kw_only=True):
    form: list[FormField]
    form_data: dict[str, Any]
    prefill: Prefill
    materials: list[RequiredMaterial]
    timeline: list[TimelineEntry]
    supplement: SupplementNotice | None = None
    tolerated_missing: list[str] = []
    result: dict[str, Any] | None = None
    pre_review_due: date | None = None
    pre_review_due_provisional: bool = False
    accepted_at: datetime | None = None
    finished_at: datetime | None = None
    refusal: DeliveryRefusal | None = None


class DownloadLink(_Out, kw_only=True):
    url: str
    expires_in: int


# --- what supervision (api.supervision) reads of declarations ---


class SupervisedRow(msgspec.Struct, frozen=True, kw_only=True):
    """An open case as supervision lists it (``total``: rows of the whole list)."""

    total: int
    id: uuid.UUID
    citizen_id: uuid.UUID
    case_number: str | None
    item_code: str
    item_name: str
    department_code: str
    state: str
    due: date | None
    due_provisional: bool
    supervision: str
    submitted_at: datetime | None
    asked_twice: int


class DepartmentCountRow(msgspec.Struct, frozen=True, kw_only=True):
    department_code: str
    count: int
