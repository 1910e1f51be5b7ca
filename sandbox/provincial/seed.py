"""Seed catalogue of the fictional province 西岭省 (region code 620000), read from data files.

The data lives in ``data/catalogue.toml`` (regions, departments, shared materials, the common form
fields), ``data/items.toml`` (the items, in seed order) and ``data/mongolian.toml`` (the Mongolian
text the platform has for part of the catalogue, sent as each item's ``translations.mn``).
Loading decodes them into the source models below (unknown keys and wrong types are errors
naming their place) and checks what the models cannot: the names one part gives another. Then
it builds the wire items, which are checked once more against the wire model
(``sandbox.provincial.models.Item``).

Every item carries a complete service guide (办事指南, Art. 16 of the online service rules).
Item codes follow the implementation-code layout: the implementing body's unified social credit
code (GB 32100, with valid check characters) + item type + 5-digit main item + 3-digit sub-item,
e.g. ``11620000013900019U-GG-00101-001``. Codes are stable: the same seed always yields the same
codes, so tests and fixtures may keep them.
"""

from __future__ import annotations

import datetime as dt
import functools
from importlib import resources
from typing import Annotated, Any, Literal, cast

import msgspec
from msgspec import UNSET, UnsetType

from sandbox.provincial.codes import uscc
from sandbox.provincial.models import (
    Bundle,
    CaseType,
    Complaint,
    Consultation,
    Department,
    Faq,
    Fee,
    FeeItem,
    FieldAlias,
    FieldKey,
    FieldType,
    FormField,
    Item,
    ItemStatus,
    ItemTranslation,
    ItemType,
    Licence,
    Link,
    Material,
    MemberRule,
    OnlineLevel,
    ProcessStep,
    ResultDelivery,
    SituationQuestion,
    Target,
    TranslatedMaterial,
    TranslatedStep,
)

PORTAL = "https://zwfw.xiling.example"
DATA = resources.files("sandbox.provincial") / "data"

# An item's first change is at the epoch; the next ones follow at steps of two days and a few hours.
_SEED_EPOCH = dt.datetime(2025, 11, 3, 8, 0, tzinfo=dt.UTC)

# --------------------------------------------------------------------------------------------
# Source models: the data files as written (snake_case keys, defaults left out).

RegionCode = Annotated[str, msgspec.Meta(pattern=r"^\d{6}$")]
ItemCode = Annotated[str, msgspec.Meta(pattern=r"^(XK|GG|QR|JF|CJ|QT)-\d{5}-\d{3}$")]
LicenceType = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{2,12}$")]
FileFormat = Literal["jpg", "png", "pdf", "ofd"]
Text = Annotated[str, msgspec.Meta(min_length=1)]
Days = Annotated[int, msgspec.Meta(ge=0)]


class _Source(msgspec.Struct, forbid_unknown_fields=True):
    """Base of every source model: unknown keys are rejected."""


class DepartmentSpec(_Source):
    name: Text
    region: RegionCode
    serial: Annotated[int, msgspec.Meta(ge=1, le=9999)]
    phone: Text
    address: Text
    complaint_phone: Text
    # Registration authority: 11 government bodies, 12 public institutions, 13 people's bodies.
    registration: Literal["11", "12", "13"] = "11"

    def code(self) -> str:
        return uscc(self.registration, self.region, f"0139{self.serial:04d}")


class MaterialSpec(_Source):
    """A material: an item's own (``name`` and ``notes`` at least), or a shared one.

    ``shared`` names one of the catalogue's shared materials; every other key given here
    replaces the shared material's, and ``{who}`` in its name and notes becomes ``who``.
    """

    shared: str | UnsetType = UNSET
    who: Text = "申请人"
    name: Text | UnsetType = UNSET
    notes: Text | UnsetType = UNSET
    required: bool | UnsetType = UNSET
    tolerance: bool | UnsetType = UNSET
    formats: list[FileFormat] | UnsetType = UNSET
    max_size_kb: Annotated[int, msgspec.Meta(gt=0)] | UnsetType = UNSET
    licence_types: list[LicenceType] | UnsetType = UNSET

    def given(self) -> dict[str, Any]:
        """The material's own keys that the data file gives."""
        return {
            name: value
            for name in self.__struct_fields__
            if name not in ("shared", "who") and (value := getattr(self, name)) is not UNSET
        }


_MATERIAL_DEFAULTS: dict[str, Any] = {
    "required": True,
    "tolerance": False,
    "formats": ["jpg", "png", "pdf"],
    "max_size_kb": 2048,
    "licence_types": [],
}


class FieldSpec(_Source):
    key: FieldKey
    label: Text
    type: FieldType
    required: bool = True
    max_length: Annotated[int, msgspec.Meta(gt=0)] = 200
    options: list[Text] = msgspec.field(default_factory=list)
    # The e-licence type whose number can fill the field (never a personal ID document).
    prefill: LicenceType | None = None

    def wire(self) -> FormField:
        return FormField(
            key=self.key,
            label=self.label,
            type=self.type,
            required=self.required,
            max_length=self.max_length,
            options=list(self.options),
            prefill=f"licence:{self.prefill}" if self.prefill else None,
        )


class StepSpec(_Source):
    name: Text
    limit_days: Days
    description: Text


class FeeItemSpec(_Source):
    name: Text
    amount_fen: Annotated[int, msgspec.Meta(gt=0)]


class FeeSpec(_Source):
    """A fee basis, with what is charged; an item that lists no fee items is free."""

    basis: Text
    items: list[FeeItemSpec] = msgspec.field(default_factory=list)


class FaqSpec(_Source):
    question: Text
    answer: Text


class LicenceSpec(_Source):
    type_code: LicenceType
    name: Text


class DeliverySpec(_Source):
    """A paper result: postal delivery offered (``postal``) for ``postal_fee_fen``."""

    postal: bool = True
    postal_fee_fen: Annotated[int, msgspec.Meta(ge=0)] = 0
    fee_basis: str = ""


class QuestionSpec(_Source):
    """A situation question (情形) of a bundle; ``options`` default to 是/否."""

    key: FieldKey
    text: Text
    default: Text
    options: list[Text] = msgspec.field(default_factory=lambda: ["是", "否"])


class MemberRuleSpec(_Source):
    """A member of a bundle by its ``ref``: chosen when ``question`` is answered ``answer``
    (always when no question is named), started after the members named in ``after``."""

    ref: str
    question: FieldKey | None = None
    answer: Text | None = None
    after: list[str] = msgspec.field(default_factory=list)


class AliasSpec(_Source):
    """Member ``ref``'s field ``field`` asks what the bundle's field ``same_as`` asks."""

    ref: str
    field: FieldKey
    same_as: FieldKey


class ItemSpec(_Source, kw_only=True):
    code: ItemCode
    name: Text
    department: str
    # A name a bundle lists this item by.
    ref: str | None = None
    themes: list[Text]
    targets: list[Target] = msgspec.field(default_factory=lambda: ["person"])
    case_type: CaseType = "promised"
    online_level: OnlineLevel = "online_prereview"
    visits_required: Days = 1
    statutory_limit_days: Days = 20
    promised_limit_days: Days = 10
    legal_basis: list[Text]
    acceptance_conditions: list[Text]
    process: list[StepSpec]
    result_type: Text
    result_name: Text
    issues_licence: LicenceSpec | None = None
    form_instructions: Text
    form: list[FieldSpec]
    templates: list[Text]
    annual_volume: Days
    bundle: list[str] = msgspec.field(default_factory=list)
    # A bundle's guide: the situation questions, the rule of each member, fields of members
    # that ask the same thing under another key.
    situations: list[QuestionSpec] = msgspec.field(default_factory=list)
    bundle_rules: list[MemberRuleSpec] = msgspec.field(default_factory=list)
    field_aliases: list[AliasSpec] = msgspec.field(default_factory=list)
    status: ItemStatus = "active"
    status_reason: Text | None = None
    fee: FeeSpec
    materials: list[MaterialSpec]
    faq: list[FaqSpec]
    delivery: DeliverySpec | None = None


class CatalogueFile(_Source):
    regions: dict[RegionCode, Text]
    departments: dict[str, DepartmentSpec]
    shared_materials: dict[str, MaterialSpec]
    common_form_fields: list[FieldSpec]


class ItemsFile(_Source):
    items: list[ItemSpec]


class ItemTextSpec(_Source):
    """An item's text in another language: its name, and optionally its guide summary (the
    acceptance conditions, material and step names in the item's order; "" keeps one Chinese)."""

    name: Text
    acceptance_conditions: list[str] = msgspec.field(default_factory=list)
    materials: list[str] = msgspec.field(default_factory=list)
    process: list[str] = msgspec.field(default_factory=list)
    result_type: Text | None = None


class TranslationFile(_Source):
    """The text of one language: region and department names, items by their ``code``."""

    regions: dict[RegionCode, Text] = msgspec.field(default_factory=dict)
    departments: dict[str, Text] = msgspec.field(default_factory=dict)
    items: dict[ItemCode, ItemTextSpec] = msgspec.field(default_factory=dict)


class SeedError(ValueError):
    """The data files name something they do not define, or leave a material incomplete."""


# --------------------------------------------------------------------------------------------
# Building the wire items.


class _Builder:
    def __init__(
        self,
        catalogue: CatalogueFile,
        items: list[ItemSpec],
        translations: dict[str, TranslationFile] | None = None,
    ) -> None:
        self.catalogue = catalogue
        self.items = items
        self.translations = translations or {}
        self._check_translations()
        self.codes: dict[str, str] = {}  # ref -> full item code
        for spec in items:
            dept = self._department(spec)
            if spec.ref is not None:
                if spec.ref in self.codes:
                    raise SeedError(f"item {spec.code}: ref {spec.ref!r} is used twice")
                self.codes[spec.ref] = f"{dept.code()}-{spec.code}"

    def _department(self, spec: ItemSpec) -> DepartmentSpec:
        try:
            dept = self.catalogue.departments[spec.department]
        except KeyError:
            raise SeedError(f"item {spec.code}: no department {spec.department!r}") from None
        if dept.region not in self.catalogue.regions:
            raise SeedError(f"department {spec.department}: no region {dept.region!r}")
        return dept

    def _check_translations(self) -> None:
        known = {spec.code: spec for spec in self.items}
        for lang, text in self.translations.items():
            for region in text.regions:
                if region not in self.catalogue.regions:
                    raise SeedError(f"{lang}: no region {region!r}")
            for dept in text.departments:
                if dept not in self.catalogue.departments:
                    raise SeedError(f"{lang}: no department {dept!r}")
            for code, item in text.items.items():
                spec = known.get(code)
                if spec is None:
                    raise SeedError(f"{lang}: no item {code!r}")
                for key, theirs in (
                    ("acceptance_conditions", spec.acceptance_conditions),
                    ("materials", spec.materials),
                    ("process", spec.process),
                ):
                    if len(getattr(item, key)) > len(theirs):
                        raise SeedError(f"{lang}: item {code} has more {key} than in Chinese")

    def _translations(self, spec: ItemSpec, item: Item) -> dict[str, ItemTranslation]:
        """The item's text in each language that names it, its department or its region."""
        out: dict[str, ItemTranslation] = {}
        for lang, text in self.translations.items():
            dept = text.departments.get(spec.department)
            region = text.regions.get(item.region_code)
            own = text.items.get(spec.code)
            if own is None and dept is None and region is None:
                continue
            out[lang] = ItemTranslation(
                name=own.name if own else None,
                department_name=dept,
                region_name=region,
                acceptance_conditions=list(own.acceptance_conditions) if own else [],
                materials=[
                    TranslatedMaterial(code=m.code, name=name)
                    for m, name in zip(item.materials, own.materials if own else [], strict=False)
                    if name
                ],
                process=[
                    TranslatedStep(step=s.step, name=name)
                    for s, name in zip(item.process, own.process if own else [], strict=False)
                    if name
                ],
                result_type=own.result_type if own else None,
            )
        return out

    def build(self) -> list[Item]:
        items = [self._item(index, spec) for index, spec in enumerate(self.items)]
        for spec, item in zip(self.items, items, strict=True):
            item.translations = self._translations(spec, item)
        codes = [item.code for item in items]
        if len(codes) != len(set(codes)):
            raise SeedError("item codes must be unique")
        return items

    def _item(self, index: int, spec: ItemSpec) -> Item:
        dept = self._department(spec)
        code = f"{dept.code()}-{spec.code}"
        item_type, main, sub = spec.code.split("-")
        updated = _SEED_EPOCH + dt.timedelta(days=index * 2, hours=(index * 5) % 9)
        try:
            members = [self.codes[ref] for ref in spec.bundle]
        except KeyError as exc:
            raise SeedError(f"item {spec.code}: the bundle names no item {exc}") from None
        return Item(
            code=code,
            name=spec.name,
            item_type=cast(ItemType, item_type),
            department=Department(code=dept.code(), name=dept.name),
            region_code=dept.region,
            region_name=self.catalogue.regions[dept.region],
            themes=spec.themes,
            targets=spec.targets,
            case_type=spec.case_type,
            online_level=spec.online_level,
            visits_required=spec.visits_required,
            statutory_limit_days=spec.statutory_limit_days,
            promised_limit_days=spec.promised_limit_days,
            legal_basis=spec.legal_basis,
            acceptance_conditions=spec.acceptance_conditions,
            materials=[
                self._material(spec, entry, f"CL{main}{sub}-{n:02d}")
                for n, entry in enumerate(spec.materials, start=1)
            ],
            process=[
                ProcessStep(
                    step=n, name=step.name, description=step.description, limit_days=step.limit_days
                )
                for n, step in enumerate(spec.process, start=1)
            ],
            fee=Fee(
                charged=bool(spec.fee.items),
                basis=spec.fee.basis,
                items=[FeeItem(name=i.name, amount_fen=i.amount_fen) for i in spec.fee.items],
            ),
            result_type=spec.result_type,
            result_sample=Link(
                name=f"{spec.result_name}（样本）", url=f"{PORTAL}/samples/{code}.pdf"
            ),
            consultation=Consultation(phone=dept.phone, address=dept.address),
            complaint=Complaint(phone=dept.complaint_phone),
            faq=[Faq(question=f.question, answer=f.answer) for f in spec.faq],
            form_instructions=spec.form_instructions,
            form=[f.wire() for f in (*spec.form, *self.catalogue.common_form_fields)],
            templates=[
                Link(name=t, url=f"{PORTAL}/templates/{code}/{n:02d}.docx")
                for n, t in enumerate(spec.templates, start=1)
            ],
            issues_licence=(
                Licence(type_code=spec.issues_licence.type_code, name=spec.issues_licence.name)
                if spec.issues_licence
                else None
            ),
            bundle=self._bundle(spec, members) if members else None,
            status=spec.status,
            status_reason=spec.status_reason,
            annual_volume=spec.annual_volume,
            version=1 + index % 3,
            updated_at=updated.strftime("%Y-%m-%dT%H:%M:%SZ"),
            delivery=(
                ResultDelivery(
                    postal=spec.delivery.postal,
                    postal_fee_fen=spec.delivery.postal_fee_fen,
                    fee_basis=spec.delivery.fee_basis,
                )
                if spec.delivery
                else None
            ),
        )

    def _bundle(self, spec: ItemSpec, members: list[str]) -> Bundle:
        questions = {q.key: q for q in spec.situations}
        for rule in spec.bundle_rules:
            where = f"item {spec.code}: bundle rule {rule.ref!r}"
            if rule.ref not in spec.bundle or not set(rule.after) <= set(spec.bundle):
                raise SeedError(f"{where} names an item the bundle does not list")
            if (rule.question is None) != (rule.answer is None):
                raise SeedError(f"{where} needs a question and an answer, or neither")
            if rule.question is not None and (
                rule.question not in questions
                or rule.answer not in questions[rule.question].options
            ):
                raise SeedError(f"{where} asks no such question or answer")
        for alias in spec.field_aliases:
            if alias.ref not in spec.bundle:
                raise SeedError(f"item {spec.code}: alias {alias.ref!r} is not a member")
        return Bundle(
            members=members,
            questions=[
                SituationQuestion(key=q.key, text=q.text, options=q.options, default=q.default)
                for q in spec.situations
            ],
            rules=[
                MemberRule(
                    member=self.codes[r.ref],
                    question=r.question,
                    answer=r.answer,
                    after=[self.codes[a] for a in r.after],
                )
                for r in spec.bundle_rules
            ],
            aliases=[
                FieldAlias(member=self.codes[a.ref], field=a.field, same_as=a.same_as)
                for a in spec.field_aliases
            ],
        )

    def _material(self, item: ItemSpec, entry: MaterialSpec, code: str) -> Material:
        keys = dict(_MATERIAL_DEFAULTS)
        if entry.shared is not UNSET:
            try:
                keys |= self.catalogue.shared_materials[entry.shared].given()
            except KeyError:
                raise SeedError(f"item {item.code}: no shared material {entry.shared!r}") from None
        keys |= entry.given()
        if "name" not in keys or "notes" not in keys:
            raise SeedError(f"item {item.code}: material {code} needs a name and notes")
        return Material(
            code=code,
            name=keys["name"].replace("{who}", entry.who),
            required=keys["required"],
            tolerance=keys["tolerance"],
            formats=keys["formats"],
            max_size_kb=keys["max_size_kb"],
            licence_types=keys["licence_types"],
            notes=keys["notes"].replace("{who}", entry.who),
            kind=entry.shared if entry.shared is not UNSET else None,
        )


def load_seed(
    catalogue: bytes, items: bytes, translations: dict[str, bytes] | None = None
) -> list[Item]:
    """Build the seed catalogue from the text of the data files (``translations``: a language
    tag's file, e.g. ``{"mn": mongolian.toml}``).

    Raises ``msgspec.ValidationError`` (naming the place) for a file that does not match its
    model, ``SeedError`` for a name one part gives and no part defines.
    """
    spec = msgspec.toml.decode(catalogue, type=CatalogueFile)
    item_specs = msgspec.toml.decode(items, type=ItemsFile).items
    texts = {
        lang: msgspec.toml.decode(text, type=TranslationFile)
        for lang, text in (translations or {}).items()
    }
    built = _Builder(spec, item_specs, texts).build()
    # Through the wire model once more: its patterns (form keys, prefill) and its checks.
    return msgspec.json.decode(msgspec.json.encode(built), type=list[Item])


@functools.cache
def _seed_json() -> bytes:
    """The packaged seed catalogue, built once and kept encoded."""
    catalogue = (DATA / "catalogue.toml").read_bytes()
    items = (DATA / "items.toml").read_bytes()
    mongolian = (DATA / "mongolian.toml").read_bytes()
    return msgspec.json.encode(load_seed(catalogue, items, {"mn": mongolian}))


def build_seed() -> list[Item]:
    """Return a fresh copy of the seed catalogue, in seed (change sequence) order."""
    return msgspec.json.decode(_seed_json(), type=list[Item])
