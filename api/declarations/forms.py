"""Application forms ("一表申请") and their validation.

Items carry their form definition from the platform (``Guide.form``); an item the platform
publishes none for uses ``DEFAULT_FORM``. Forms hold no identity data: the applicant is the
account, whose real-name data stays encrypted and is sent to the platform at submission.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from api.catalog.schemas import FormField

DEFAULT_FORM: list[FormField] = [
    FormField(key="reason", label="申请事由", type="textarea", required=True, max_length=500),
    FormField(
        key="deliveryMethod",
        label="结果领取方式",
        type="select",
        required=True,
        options=["窗口领取", "邮寄送达", "电子证照"],
    ),
    FormField(key="address", label="邮寄地址", type="text", max_length=200),
    FormField(key="remark", label="备注", type="textarea", max_length=500),
]


def form_of(item_form: list[FormField]) -> list[FormField]:
    return item_form or DEFAULT_FORM


def problems(
    form: list[FormField], data: dict[str, Any], *, complete: bool
) -> list[dict[str, str]]:
    """What is wrong with ``data``; drafts (``complete=False``) may leave required fields empty."""
    found: list[dict[str, str]] = []
    fields = {f.key: f for f in form}
    for key in data:
        if key not in fields:
            found.append({"field": key, "problem": "UNKNOWN_FIELD"})
    for field in form:
        value = data.get(field.key)
        if value is None or value == "":
            if complete and field.required:
                found.append({"field": field.key, "problem": "REQUIRED"})
            continue
        if problem := _problem(field, value):
            found.append({"field": field.key, "problem": problem})
    return found


def _problem(field: FormField, value: Any) -> str | None:
    if field.type == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return None if ok else "NOT_A_NUMBER"
    if not isinstance(value, str):
        return "NOT_TEXT"
    if field.type == "date":
        return None if _is_date(value) else "NOT_A_DATE"
    if len(value) > field.max_length:
        return "TOO_LONG"
    if field.type == "select" and value not in field.options:
        return "NOT_AN_OPTION"
    return None


def _is_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


def licence_fed(form: list[FormField]) -> bool:
    """Whether the wallet fills any field of the form (see ``licence_prefills``)."""
    return any(field.prefill and field.prefill.startswith("licence:") for field in form)


def licence_prefills(form: list[FormField], wallet: dict[str, str]) -> dict[str, str]:
    """Values the wallet can fill in: a field with prefill "licence:<TYPE>" gets the number of
    the applicant's e-licence of that type."""
    found = {}
    for field in form:
        if field.prefill and field.prefill.startswith("licence:"):
            number = wallet.get(field.prefill.removeprefix("licence:"))
            if number:
                found[field.key] = number
    return found
