"""Pure rules of delivery: what makes an address valid, how personal data is masked, the
labels of each courier step."""

from __future__ import annotations

import re
import unicodedata

from core.pii import valid_mobile

# GB/T 2260 province-level prefixes (incl. Taiwan 71, Hong Kong 81, Macao 82).
PROVINCES = frozenset(
    {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46}
    | {50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82}
)
_NAME = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fffA-Za-z·•.\- ]+$")
_WORDY = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fffA-Za-z]")

# A declaration in one of these is over: its delivery choice stands.
FINAL_STATES = frozenset({"completed", "refused", "not_accepted", "withdrawn"})

STATUS_LABELS = {
    "created": "已交寄",
    "collected": "已揽收",
    "in_transit": "运输中",
    "out_for_delivery": "派送中",
    "delivered": "已签收",
}
EVENT_LABELS = {
    "chosen": "选择送达方式",
    "registered": "已告知审批部门",
    "refused": "审批部门未接收送达方式",
    **STATUS_LABELS,
}
# Each courier step as the citizen is told of it (push.events).
PUSHED = {
    "created": "delivery.shipped",
    "collected": "delivery.collected",
    "in_transit": "delivery.in_transit",
    "out_for_delivery": "delivery.out_for_delivery",
    "delivered": "delivery.signed",
}


def clean(text: str) -> str:
    """NFC, surrounding blanks gone, inner runs of blanks one space."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def address_problem(
    *, recipient: str, phone: str, region_code: str, region_name: str, detail: str, label: str
) -> str | None:
    """The first field that breaks a rule, or None. The schema has bounded every length."""
    if not recipient or not _NAME.match(recipient):
        return "recipient"
    if not valid_mobile(phone):
        return "phone"
    if int(region_code[:2]) not in PROVINCES or region_code.endswith("0000"):
        return "regionCode"
    if len(region_name) < 2:
        return "regionName"
    if len(detail) < 5 or not _WORDY.search(detail):
        return "detail"
    for name, text in (("regionName", region_name), ("detail", detail), ("label", label)):
        # Control, format and unassigned characters (NUL included: PostgreSQL text refuses it).
        if any(unicodedata.category(c).startswith("C") for c in text):
            return name
    return None


def mask_detail(detail: str) -> str:
    """The street part shown as its first characters only: 民主东路****."""
    keep = min(6, max(2, len(detail) // 3))
    return detail[:keep] + "****"
