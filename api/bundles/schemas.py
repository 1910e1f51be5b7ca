"""Wire contracts of 一件事 bundles (camelCase; new fields always with defaults)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

import msgspec

from api.catalog.schemas import CodeName, FormField

ItemCode = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]

AnswerValue = Annotated[str, msgspec.Meta(max_length=64)]
Answers = Annotated[dict[str, AnswerValue], msgspec.Meta(max_length=20)]
Members = Annotated[list[ItemCode], msgspec.Meta(min_length=1, max_length=20)]

# Our side of a member: draft (before the bundle is submitted), waiting (for the members it
# needs the result of), started (a declaration submitted), blocked (cannot start).
MemberStatus = Literal["draft", "waiting", "started", "blocked"]
BundleState = Literal["draft", "in_progress", "finished"]
# One status for the whole matter, as the citizen reads it.
CombinedStatus = Literal[
    "draft", "in_progress", "action_needed", "completed", "partly_completed", "failed"
]


class _In(msgspec.Struct, rename="camel", kw_only=True, forbid_unknown_fields=True):
    pass


class _Out(msgspec.Struct, rename="camel", kw_only=True):
    pass


# --- requests ---------------------------------------------------------------------------------


class PlanRequest(_In, kw_only=True):
    """Situation answers (missing ones take the question's default) and, optionally, the members
    ticked by hand (按需勾选), which replace the ones the answers choose."""

    answers: Answers = {}
    members: Members | None = None


class StartBundle(PlanRequest, kw_only=True):
    bundle_code: ItemCode


class SaveBundleForm(_In, kw_only=True):
    form_data: Annotated[dict[str, Any], msgspec.Meta(max_length=60)]


class UseBundleLicence(_In, kw_only=True):
    licence_number: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


# --- the plan (情形引导 → members, one form, one set of materials) -----------------------------


class Question(_Out, kw_only=True):
    key: str
    text: str
    options: list[str]
    default: str
    # The answer the plan was made with (the default when none was given).
    answer: str


class PlannedMember(_Out, kw_only=True):
    item_code: str
    item_name: str
    department: CodeName
    chosen: bool
    # What the situation answers choose (the citizen may tick otherwise).
    suggested: bool
    # Members (item codes) whose result it needs: it starts once they have completed.
    after: list[str] = []


class FieldUse(_Out, kw_only=True):
    item_code: str
    field: str


class MergedField(FormField, kw_only=True, frozen=True):
    """A field of the one form: asked once, given to each member's field in ``uses``."""

    uses: list[FieldUse] = msgspec.field(default_factory=list)


class MaterialUse(_Out, kw_only=True):
    item_code: str
    material_code: str


class MergedMaterial(_Out, kw_only=True):
    """One document for every member that asks for it (``uses``)."""

    key: str
    name: str
    required: bool
    tolerance: bool
    formats: list[str]
    max_size_kb: int
    licence_types: list[str]
    notes: str = ""
    uses: list[MaterialUse] = []


class BundlePlan(_Out, kw_only=True):
    bundle_code: str
    bundle_name: str
    questions: list[Question]
    members: list[PlannedMember]
    form: list[MergedField]
    materials: list[MergedMaterial]


# --- a citizen's bundle --------------------------------------------------------------------------


class GivenMaterial(MergedMaterial, kw_only=True):
    """A material of the bundle and what the citizen has given for it (every use the same)."""

    file_name: str | None = None
    licence_number: str | None = None
    satisfied: bool = False
    licence_suggestions: list[str] = []


class MemberProgress(_Out, kw_only=True):
    item_code: str
    item_name: str
    department: CodeName
    declaration_id: str
    status: MemberStatus
    # The member's declaration's own state (draft, submitted, needs_supplement, completed…).
    state: str
    after: list[str] = []
    case_number: str | None = None
    promised_due: date | None = None
    finished_at: datetime | None = None
    # Why it is held up or ended without a result: blocked, refused by the department or by
    # the platform; and a supplement request (补正) to act on.
    problem: str | None = None
    supplement_notice: str | None = None


class LaneEntry(_Out, kw_only=True):
    item_code: str
    item_name: str
    state: str
    previous_state: str | None
    actor: str
    reason: str | None
    at: datetime


class Lane(_Out, kw_only=True):
    """One department's part of the timeline."""

    department: CodeName
    items: list[str]
    entries: list[LaneEntry]


class BundleResult(_Out, kw_only=True):
    item_code: str
    item_name: str
    result_type: str = ""
    licence_number: str | None = None
    licence_name: str | None = None
    licence_type: str | None = None


class BundleSummary(_Out, kw_only=True):
    id: str
    bundle_code: str
    bundle_name: str
    state: BundleState
    status: CombinedStatus
    created_at: datetime
    submitted_at: datetime | None = None
    finished_at: datetime | None = None


class BundlePage(_Out, kw_only=True):
    items: list[BundleSummary]
    total: int
    page: int
    page_size: int


class BundleDetail(BundleSummary, kw_only=True):
    answers: dict[str, str]
    form: list[MergedField]
    form_data: dict[str, Any]
    materials: list[GivenMaterial]
    members: list[MemberProgress]
    lanes: list[Lane]
    results: list[BundleResult]


# --- figures (staff) -----------------------------------------------------------------------------


class BundleFigure(_Out, kw_only=True):
    bundle_code: str
    bundle_name: str
    applications: int
    finished: int
    # Of the finished ones: mean hours from submission to the last member's end, and the mean
    # of the members' own durations added up (what doing them one after the other would take).
    mean_end_to_end_hours: float | None = None
    mean_members_sum_hours: float | None = None


class BundleFigures(_Out, kw_only=True):
    bundles: list[BundleFigure]
