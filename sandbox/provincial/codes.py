"""Check characters of the codes the provincial platform issues.

- Unified social credit codes (GB 32100-2015), whose organisation-code part carries its own
  check character (GB 11714): the departments' codes, and so the items' codes.
- ISO 7064 MOD 37,36 (hybrid): the last character of an e-licence number.
"""

from __future__ import annotations

_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def _org_check(body: str) -> str:
    total = sum(int(ch, 36) * w for ch, w in zip(body, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def uscc(registration: str, region: str, org_body: str) -> str:
    """Build an 18-character unified social credit code with valid check characters."""
    first17 = registration + region + org_body + _org_check(org_body)
    total = sum(_USCC_ALPHABET.index(ch) * w for ch, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return first17 + _USCC_ALPHABET[(31 - total % 31) % 31]


MOD37_36_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def mod37_36_check(text: str) -> str:
    """ISO 7064 MOD 37,36 (hybrid) check character of ``text`` (0-9, A-Z)."""
    p = 36
    for char in text.upper():
        s = (p + MOD37_36_ALPHABET.index(char)) % 36 or 36
        p = (s * 2) % 37
    return MOD37_36_ALPHABET[(37 - p) % 36]


def mod37_36_valid(text: str) -> bool:
    return len(text) > 1 and mod37_36_check(text[:-1]) == text[-1].upper()
