"""Pure rules on licence identifiers: GB/T 36904 numbers and GB 32100 issuer codes."""

from __future__ import annotations

_MOD36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# GB 32100-2015: the 31 characters of a unified social credit code (no I, O, S, V, Z) and the
# weights 3^(i) mod 31 of its first 17 positions.
_USCC = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def mod37_36_check(text: str) -> str:
    """ISO 7064 MOD 37,36 (hybrid system) check character of ``text`` (0-9, A-Z)."""
    product = 36
    for char in text.upper():
        position = _MOD36.find(char)
        if position < 0:
            raise ValueError(f"{char!r} is not in 0-9A-Z")
        total = (product + position) % 36 or 36
        product = (total * 2) % 37
    return _MOD36[(37 - product) % 36]


def mod37_36_valid(text: str) -> bool:
    try:
        return len(text) > 1 and mod37_36_check(text[:-1]) == text[-1].upper()
    except ValueError:
        return False


def uscc_check(first17: str) -> str:
    """GB 32100 check character (MOD 31) of the first 17 characters of a credit code."""
    if len(first17) != 17:
        raise ValueError("a unified social credit code has 17 characters before the check")
    total = 0
    for char, weight in zip(first17, _USCC_WEIGHTS, strict=True):
        position = _USCC.find(char)
        if position < 0:
            raise ValueError(f"{char!r} is not allowed in a credit code")
        total += position * weight
    return _USCC[(31 - total % 31) % 31]


def uscc_valid(code: str) -> bool:
    try:
        return len(code) == 18 and uscc_check(code[:17]) == code[17]
    except ValueError:
        return False


def licence_number_problem(number: str, type_code: str, issuer_code: str) -> str | None:
    """Why ``number`` is not a GB/T 36904 identifier for this type and issuer (None if it is):
    type code + 18-character issuer code + serial + 2-digit version + MOD 37,36 check."""
    if not number.isascii() or not number.isalnum() or number != number.upper():
        return "NUMBER_MALFORMED"
    if not number.startswith(type_code + issuer_code) or len(number) < len(type_code) + 18 + 4:
        return "NUMBER_MISMATCH"
    if not mod37_36_valid(number):
        return "NUMBER_CHECK_FAILED"
    if not uscc_valid(issuer_code):
        return "ISSUER_CODE_INVALID"
    return None
