"""A bundle's plan, pure: the situation answers choose the members, the members' forms become one
form (a fact asked by several members asked once) and their materials one list (one ID card
for all). docs/bundles.md says why each rule is what it is."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from api.bundles import errors
from api.bundles.schemas import (
    BundlePlan,
    CombinedStatus,
    FieldUse,
    MaterialUse,
    MergedField,
    MergedMaterial,
    PlannedMember,
    Question,
)
from api.catalog.schemas import ItemDetail
from api.declarations.forms import form_of

# A declaration's states after which nothing more happens to it.
FINAL = frozenset({"completed", "refused", "not_accepted", "withdrawn"})
# What the citizen must act on: a supplement request, a delivery the platform turned down.
ACTION = frozenset({"needs_supplement", "platform_refused"})


def answers_of(bundle: ItemDetail, given: Mapping[str, str]) -> dict[str, str]:
    """Every question's answer: the one given, else the question's default."""
    plan = bundle.guide.bundle_plan
    questions = {q.key: q for q in plan.questions} if plan else {}
    for key, value in given.items():
        if key not in questions or value not in questions[key].options:
            raise errors.AnswerInvalid(question=key)
    return {key: given.get(key, q.default) for key, q in questions.items()}


def plan_of(
    bundle: ItemDetail,
    members: Mapping[str, ItemDetail],
    given_answers: Mapping[str, str],
    ticked: list[str] | None,
) -> BundlePlan:
    """The members the answers choose (or the ones ticked), their one form and materials.
    ``members`` holds the catalogue's detail of every member the bundle lists."""
    answers = answers_of(bundle, given_answers)
    codes = [m.code for m in bundle.guide.bundle_members]
    plan = bundle.guide.bundle_plan
    rules = {r.member: r for r in plan.rules} if plan else {}
    suggested = {
        code
        for code in codes
        if (rule := rules.get(code)) is None
        or rule.question is None
        or answers.get(rule.question) == rule.answer
    }
    if ticked is not None and (not ticked or not set(ticked) <= set(codes)):
        raise errors.MemberUnknown()
    chosen = set(ticked) if ticked is not None else suggested
    if not chosen:
        raise errors.MemberUnknown()
    planned = [
        PlannedMember(
            item_code=code,
            item_name=members[code].name,
            department=members[code].department,
            chosen=code in chosen,
            suggested=code in suggested,
            # An unchosen predecessor is done elsewhere (or not needed): nothing to wait for.
            after=[a for a in (rules[code].after if code in rules else []) if a in chosen],
        )
        for code in codes
    ]
    in_order = [members[c] for c in codes if c in chosen]
    aliases = {(a.member, a.field): a.same_as for a in plan.aliases} if plan else {}
    return BundlePlan(
        bundle_code=bundle.code,
        bundle_name=bundle.name,
        questions=[
            Question(
                key=q.key, text=q.text, options=q.options, default=q.default, answer=answers[q.key]
            )
            for q in (plan.questions if plan else [])
        ],
        members=planned,
        form=merged_form(in_order, aliases),
        materials=merged_materials(in_order),
    )


def merged_form(
    items: list[ItemDetail], aliases: Mapping[tuple[str, str], str]
) -> list[MergedField]:
    """One field per fact: members' fields with one key (or a key the platform names as the
    same, ``aliases``) are asked once; required when any member requires it. A field whose
    key repeats with another type or other options is another question, kept apart."""
    merged: dict[str, MergedField] = {}
    for item in items:
        for field in form_of(item.guide.form):
            key = aliases.get((item.code, field.key), field.key)
            use = FieldUse(item_code=item.code, field=field.key)
            n = 1
            while (found := merged.get(key)) is not None and (
                found.type != field.type or found.options != field.options
            ):
                n += 1
                key = f"{aliases.get((item.code, field.key), field.key)}{n}"
            if found is None:
                merged[key] = MergedField(
                    key=key,
                    label=field.label,
                    type=field.type,
                    required=field.required,
                    max_length=field.max_length,
                    options=list(field.options),
                    prefill=field.prefill,
                    uses=[use],
                )
            else:
                merged[key] = MergedField(
                    key=key,
                    label=found.label,
                    type=found.type,
                    required=found.required or field.required,
                    max_length=min(found.max_length, field.max_length),
                    options=found.options,
                    prefill=found.prefill or field.prefill,
                    uses=[*found.uses, use],
                )
    return list(merged.values())


def merged_materials(items: list[ItemDetail]) -> list[MergedMaterial]:
    """One entry per document: a shared material of the platform (its ``kind``: id_card, hukou,
    photo…) or, for an item's own, one name, wherever members ask for it. Required when any
    member requires it, 容缺 only when every member that requires it tolerates it; the formats
    every member takes and the smallest size limit, so one upload suits them all."""
    groups: dict[str, list[tuple[str, Any]]] = {}
    for item in items:
        for material in item.guide.materials:
            group = f"kind:{material.kind}" if material.kind else f"name:{material.name}"
            groups.setdefault(group, []).append((item.code, material))
    merged = []
    for n, uses in enumerate(groups.values(), start=1):
        first = uses[0][1]
        formats = [f for f in first.formats if all(f in m.formats for _, m in uses)]
        types: list[str] = []
        for _, m in uses:
            types += [t for t in m.licence_types if t not in types]
        required = [m for _, m in uses if m.required]
        merged.append(
            MergedMaterial(
                key=f"M{n:02d}",
                name=first.name,
                required=bool(required),
                tolerance=bool(required) and all(m.tolerance for m in required),
                formats=formats or list(first.formats),
                max_size_kb=min(m.max_size_kb for _, m in uses),
                licence_types=types,
                notes=first.notes,
                uses=[MaterialUse(item_code=code, material_code=m.code) for code, m in uses],
            )
        )
    return merged


def member_forms(fields: list[MergedField], data: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The one form's values as each member's form takes them."""
    forms: dict[str, dict[str, Any]] = {}
    for field in fields:
        for use in field.uses:
            values = forms.setdefault(use.item_code, {})
            if field.key in data:
                values[use.field] = data[field.key]
    return forms


def bundle_form(
    fields: list[MergedField], forms: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """The members' values (prefilled from the wallet) as the one form shows them."""
    data: dict[str, Any] = {}
    for field in fields:
        for use in field.uses:
            value = forms.get(use.item_code, {}).get(use.field)
            if value not in (None, ""):
                data.setdefault(field.key, value)
    return data


def combined_status(state: str, members: list[tuple[str, str]]) -> CombinedStatus:
    """One status for the matter from each member's (status, declaration state)."""
    if state == "draft":
        return "draft"
    if any(s == "blocked" and state != "finished" for s, _ in members) or any(
        d in ACTION for _, d in members
    ):
        return "action_needed"
    ended = [s == "blocked" or d in FINAL for s, d in members]
    if not all(ended):
        return "in_progress"
    done = [d == "completed" for _, d in members]
    if all(done):
        return "completed"
    return "partly_completed" if any(done) else "failed"
