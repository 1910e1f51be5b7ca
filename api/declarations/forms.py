"""Application forms ("一表申请") and their validation.

Items will carry their own form definition from the platform; until the platform publishes one
for an item, every item uses ``DEFAULT_FORM``. Forms hold no identity data: the applicant is
the account, whose real-name data stays encrypted and is sent to the platform at submission.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec


class FormField(msgspec.Struct, rename="camel", kw_only=True, frozen=True):
    key: str
    label: str
    type: Literal["text", "textarea", "select", "date", "number"]
    required: bool = False
    max_length: int = 200
    options: list[str] = []


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
        if field.type == "number":
            if not isinstance(value, int | float) or isinstance(value, bool):
                found.append({"field": field.key, "problem": "NOT_A_NUMBER"})
            continue
        if not isinstance(value, str):
            found.append({"field": field.key, "problem": "NOT_TEXT"})
        elif len(value) > field.max_length:
            found.append({"field": field.key, "problem": "TOO_LONG"})
        elif field.type == "select" and value not in field.options:
            found.append({"field": field.key, "problem": "NOT_AN_OPTION"})
    return found
