"""The unified social credit code of a legal person (统一社会信用代码, GB 32100-2015).

18 characters from a 31-character set (digits and upper-case letters without I, O, Z, S, V):
the registering authority (1), the organisation type (1), the administrative division (6
digits), the organisation code (9, whose last character is its own GB 11714 check character)
and the check character of the whole: weights 3^i mod 31, check = 31 - (sum mod 31), 31 → 0.
"""

from __future__ import annotations

import re

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {c: i for i, c in enumerate(CHARSET)}
_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_SHAPE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}")


def check_character(first17: str) -> str:
    """The GB 32100 check character of the first 17 characters."""
    total = sum(_VALUE[c] * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def organisation_check(first8: str) -> str:
    """The GB 11714 check character of an organisation code's first 8 characters."""
    total = sum(int(c, 36) * w for c, w in zip(first8, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def valid_uscc(value: str) -> bool:
    """Shape, the organisation code's check character and the code's own check character."""
    if not _SHAPE.fullmatch(value):
        return False
    if organisation_check(value[8:16]) != value[16]:
        return False
    return check_character(value[:17]) == value[17]


def mask_uscc(value: str) -> str:
    """Shown in lists: the division and the last four characters (a USCC is public, but the
    full code is not needed to tell a person's companies apart)."""
    return value[:8] + "******" + value[-4:] if len(value) == 18 else "******"
