"""Wire model of a service item (事项) and its service guide (办事指南), as the platform sends it.

The structs are the stand-in's own reading of the platform contract (camelCase JSON); they are
used to build the seed, to validate items posted to the control API, and to persist the state.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

ItemType = Literal["XK", "GG", "QR", "JF", "CJ", "QT"]
Target = Literal["person", "company"]
CaseType = Literal["immediate", "promised"]
OnlineLevel = Literal["full_online", "online_prereview", "in_hall"]
ItemStatus = Literal["active", "suspended", "terminated"]
FieldType = Literal["text", "textarea", "select", "date", "number"]
FieldKey = Annotated[str, msgspec.Meta(pattern=r"^[a-z][A-Za-z0-9]*$")]
Prefill = Annotated[str, msgspec.Meta(pattern=r"^licence:[A-Z]+$")]


class _Wire(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    """Base of every wire struct: camelCase keys, unknown keys rejected."""


class Department(_Wire):
    code: str
    name: str


class Material(_Wire):
    code: str
    name: str
    required: bool
    tolerance: bool
    formats: list[str]
    max_size_kb: int
    licence_types: list[str]
    notes: str
    # The catalogue's shared material this is (id_card, hukou, photo…), null for the item's own:
    # the same document wherever it is asked for, so a bundle asks for it once.
    kind: str | None = None


class ProcessStep(_Wire):
    step: int
    name: str
    description: str
    limit_days: int


class FeeItem(_Wire):
    name: str
    amount_fen: int


class Fee(_Wire):
    charged: bool
    basis: str
    items: list[FeeItem]


class Link(_Wire):
    name: str
    url: str


class Consultation(_Wire):
    phone: str
    address: str


class Complaint(_Wire):
    phone: str


class Faq(_Wire):
    question: str
    answer: str


class Licence(_Wire):
    type_code: str
    name: str


class SituationQuestion(_Wire):
    """A question of a bundle's guide (情形引导): its answer chooses members."""

    key: FieldKey
    text: str
    options: list[str]
    default: str


class MemberRule(_Wire):
    """How a bundle treats one member: included when ``question`` is answered ``answer`` (always
    when no question), and started only once every item in ``after`` has completed (it needs
    their result)."""

    member: str
    question: str | None = None
    answer: str | None = None
    after: list[str] = msgspec.field(default_factory=list)


class FieldAlias(_Wire):
    """A member's form field that asks what another key of the bundle's form asks already."""

    member: str
    field: str
    same_as: str


class Bundle(_Wire):
    members: list[str]
    questions: list[SituationQuestion] = msgspec.field(default_factory=list)
    rules: list[MemberRule] = msgspec.field(default_factory=list)
    aliases: list[FieldAlias] = msgspec.field(default_factory=list)


class ResultDelivery(_Wire, kw_only=True):
    """How a paper result (纸质结果) reaches the applicant (邮寄送达, Yongchang rules Art. 22):
    window pickup always; postal delivery when ``postal``, for ``postal_fee_fen`` (0: the
    department pays the postage)."""

    paper_result: bool = True
    postal: bool = True
    postal_fee_fen: Annotated[int, msgspec.Meta(ge=0)] = 0
    fee_basis: str = ""


class FormField(_Wire):
    """One field of the item's application form (一表申请).

    ``max_length`` bounds text and textarea values (it is carried, and ignored, for the other
    types); ``options`` are the choices of a select and empty for every other type; ``prefill``
    is ``licence:<TYPE>`` when the value can be the number of the applicant's e-licence of that
    type, else null. Date values are ``YYYY-MM-DD`` strings, number values JSON numbers.
    """

    key: FieldKey
    label: str
    type: FieldType
    required: bool
    max_length: Annotated[int, msgspec.Meta(gt=0)] = 200
    options: list[str] = msgspec.field(default_factory=list)
    prefill: Prefill | None = None

    def __post_init__(self) -> None:
        if (self.type == "select") != bool(self.options):
            raise ValueError(f"form field {self.key}: options are for (and needed by) a select")


class TranslatedMaterial(_Wire):
    code: str
    name: str


class TranslatedStep(_Wire):
    step: int
    name: str


class ItemTranslation(_Wire, kw_only=True, omit_defaults=True):
    """An item's text in another language, as far as the platform has it (every field may be
    missing: a reader shows the Chinese one instead)."""

    name: str | None = None
    department_name: str | None = None
    region_name: str | None = None
    acceptance_conditions: list[str] = msgspec.field(default_factory=list)
    materials: list[TranslatedMaterial] = msgspec.field(default_factory=list)
    process: list[TranslatedStep] = msgspec.field(default_factory=list)
    result_type: str | None = None


class Item(_Wire, kw_only=True):
    code: str
    name: str
    item_type: ItemType
    department: Department
    region_code: str
    region_name: str
    themes: list[str]
    targets: list[Target]
    case_type: CaseType
    online_level: OnlineLevel
    visits_required: int
    statutory_limit_days: int
    promised_limit_days: int
    legal_basis: list[str]
    acceptance_conditions: list[str]
    materials: list[Material]
    process: list[ProcessStep]
    fee: Fee
    result_type: str
    result_sample: Link
    consultation: Consultation
    complaint: Complaint
    faq: list[Faq]
    form_instructions: str
    # Items persisted before forms existed have none: they load with an empty form.
    form: list[FormField] = msgspec.field(default_factory=list)
    templates: list[Link]
    issues_licence: Licence | None
    bundle: Bundle | None
    status: ItemStatus
    status_reason: str | None
    annual_volume: int
    version: int
    updated_at: str
    # By language tag ("mn", traditional Mongolian script); items persisted before translations
    # existed load with none.
    translations: dict[str, ItemTranslation] = msgspec.field(default_factory=dict)
    # Items whose result is a paper document; absent for the others (and items persisted
    # before delivery existed).
    delivery: ResultDelivery | None = None

    def __post_init__(self) -> None:
        keys = [f.key for f in self.form]
        if len(keys) != len(set(keys)):
            raise ValueError(f"item {self.code}: form field keys must be unique")
