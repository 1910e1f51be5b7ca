"""The declaration lifecycle of docs/domain.md §3 (also enforced by a trigger, migrations 0007 and 0019)."""

from __future__ import annotations

from typing import Literal

State = Literal[
    "draft",
    "submitted",
    "needs_supplement",
    "not_accepted",
    "accepted",
    "processing",
    "completed",
    "refused",
    "withdrawn",
    "platform_refused",
]

TRANSITIONS: dict[str, frozenset[str]] = {
    "draft": frozenset({"submitted", "withdrawn"}),
    "submitted": frozenset(
        {"needs_supplement", "not_accepted", "accepted", "withdrawn", "platform_refused"}
    ),
    "needs_supplement": frozenset({"submitted", "withdrawn"}),
    # The platform refused the submission for good (未被受理，平台退回): no case exists there;
    # the citizen turns it back into a draft (everything kept) or withdraws it (migration 0019).
    "platform_refused": frozenset({"draft", "withdrawn"}),
    "accepted": frozenset({"processing", "completed", "refused"}),
    "processing": frozenset({"completed", "refused"}),
    "not_accepted": frozenset(),
    "completed": frozenset(),
    "refused": frozenset(),
    "withdrawn": frozenset(),
}

WITHDRAWABLE = frozenset({"draft", "submitted", "needs_supplement", "platform_refused"})

# The platform's case statuses, as our states.
FROM_PLATFORM: dict[str, str] = {
    "pre_review": "submitted",
    "needs_supplement": "needs_supplement",
    "not_accepted": "not_accepted",
    "accepted": "accepted",
    "processing": "processing",
    "completed": "completed",
    "refused": "refused",
    "withdrawn": "withdrawn",
}


def can_move(current: str, target: str) -> bool:
    return target == current or target in TRANSITIONS.get(current, frozenset())
