"""Public contract of the catalogue (camelCase on the wire; new fields always get defaults)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

CaseType = Literal["immediate", "promised"]
OnlineLevel = Literal["full_online", "online_prereview", "in_hall"]
ItemStatus = Literal["active", "suspended", "terminated"]


class _Out(msgspec.Struct, rename="camel", kw_only=True):
    pass


class CodeName(_Out, kw_only=True):
    code: str
    name: str


class ItemSummary(_Out, kw_only=True):
    code: str
    name: str
    item_type: str
    department: CodeName
    region: CodeName
    themes: list[str]
    case_type: CaseType
    online_level: OnlineLevel
    charged: bool
    issues_licence: bool
    is_bundle: bool
    status: ItemStatus
    status_reason: str | None = None
    # Whether a new application can be made now (a suspended item cannot take one).
    accepting_applications: bool = True


class ItemPage(_Out, kw_only=True):
    items: list[ItemSummary]
    total: int
    page: int
    page_size: int


class GuideMaterial(_Out, kw_only=True):
    code: str
    name: str
    required: bool
    # 容缺: may be missing at acceptance and supplied later.
    tolerance: bool
    formats: list[str]
    max_size_kb: int
    # E-licence types that satisfy the material without an upload (免提交).
    licence_types: list[str]
    notes: str = ""
    # The platform's shared material this is (id_card, hukou, photo…): the same document
    # wherever it is asked for (a bundle asks for it once); None for an item's own.
    kind: str | None = None


class GuideStep(_Out, kw_only=True):
    step: int
    name: str
    description: str
    limit_days: int


class FeeLine(_Out, kw_only=True):
    name: str
    amount_fen: int


class GuideFee(_Out, kw_only=True):
    charged: bool
    basis: str
    items: list[FeeLine]


class Link(_Out, kw_only=True):
    name: str
    url: str


class Contact(_Out, kw_only=True):
    phone: str
    address: str = ""


class FaqEntry(_Out, kw_only=True):
    question: str
    answer: str


class LicenceType(_Out, kw_only=True):
    type_code: str
    name: str


class FormField(msgspec.Struct, rename="camel", kw_only=True, frozen=True):
    """One field of the item's application form ("一表申请"), as the platform publishes it."""

    key: str
    label: str
    type: Literal["text", "textarea", "select", "date", "number"]
    required: bool = False
    max_length: int = 200
    options: list[str] = []
    # Where a value can come from, e.g. "licence:YYZZ" (the applicant's e-licence number).
    prefill: str | None = None


class GuideDelivery(_Out, kw_only=True):
    """How a paper result reaches the applicant (邮寄送达): window pickup always, postal
    delivery when ``postal``, for ``postalFeeFen`` (0: free)."""

    paper_result: bool = True
    postal: bool = True
    postal_fee_fen: int = 0
    fee_basis: str = ""


class SituationQuestion(_Out, kw_only=True):
    """A bundle's situation question (情形引导)."""

    key: str
    text: str
    options: list[str]
    default: str


class BundleRule(_Out, kw_only=True):
    """A bundle member: chosen when ``question`` is answered ``answer`` (always when there is no
    question), started once every item in ``after`` has completed."""

    member: str
    question: str | None = None
    answer: str | None = None
    after: list[str] = []


class FieldAlias(_Out, kw_only=True):
    member: str
    field: str
    same_as: str


class BundlePlan(_Out, kw_only=True):
    """How the platform runs a bundle ("一件事"): its questions, its members' rules, and fields
    members ask under another key."""

    questions: list[SituationQuestion] = []
    rules: list[BundleRule] = []
    aliases: list[FieldAlias] = []


class Guide(_Out, kw_only=True):
    """办事指南: every field docs/domain.md §2 lists, as the platform publishes it."""

    targets: list[str]
    visits_required: int
    statutory_limit_days: int
    promised_limit_days: int
    legal_basis: list[str]
    acceptance_conditions: list[str]
    materials: list[GuideMaterial]
    process: list[GuideStep]
    fee: GuideFee
    result_type: str
    result_sample: Link | None
    consultation: Contact
    complaint: Contact
    faq: list[FaqEntry]
    form_instructions: str
    templates: list[Link]
    issues_licence: LicenceType | None
    bundle_members: list[CodeName]
    form: list[FormField] = []
    # Items whose result is a paper document (None: electronic only).
    delivery: GuideDelivery | None = None
    bundle_plan: BundlePlan | None = None


class ItemHall(_Out, kw_only=True):
    """A service hall that serves the item (the platform's hall directory): where to go, with
    coordinates for a map (wx.openLocation) and a phone to call."""

    code: str
    name: str
    address: str
    phone: str
    latitude: float
    longitude: float


class ItemDetail(ItemSummary, kw_only=True):
    guide: Guide
    version: int = 0
    updated_at: datetime | None = None
    halls: list[ItemHall] = []


class Facet(_Out, kw_only=True):
    code: str
    name: str
    count: int


class CatalogFacets(_Out, kw_only=True):
    departments: list[Facet]
    regions: list[Facet]
    themes: list[Facet]


class ItemFilter(msgspec.Struct, frozen=True, kw_only=True):
    keyword: str | None = None
    department: str | None = None
    region: str | None = None
    theme: str | None = None
    online_level: OnlineLevel | None = None
    charged: bool | None = None
    page: int = 1
    page_size: int = 20
    # The reader's language (``core.i18n``): names are matched and ordered in it too.
    locale: str = "zh-CN"
