"""The unified social credit code (GB 32100): the product's validator against real codes,
tampered ones, and the platform stand-in's own implementation (written separately)."""

from __future__ import annotations

import random

from core.uscc import CHARSET, mask_uscc, valid_uscc
from sandbox.provincial.legal import make_uscc, uscc_ok

# Published codes of well-known companies (their business licences show them).
REAL = ("9144030071526726XG", "91110108551385082Q", "91330100716105852F", "91350100M000100Y43")


def test_real_codes_pass_and_any_single_change_fails() -> None:
    for code in REAL:
        assert valid_uscc(code), code
        for position in range(18):
            for replacement in CHARSET:
                if replacement == code[position]:
                    continue
                changed = code[:position] + replacement + code[position + 1 :]
                assert not valid_uscc(changed), changed


def test_shape() -> None:
    for bad in (
        "",
        "91440300715267",
        "9144030071526726XG0",
        "9144030071526726xg",
        "9I440300715267260G",
    ):
        assert not valid_uscc(bad), bad
    assert mask_uscc(REAL[0]) == "91440300******26XG"


def test_the_stand_in_and_the_product_agree() -> None:
    rng = random.Random(32100)
    for _ in range(500):
        serial = "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(8))
        code = make_uscc(f"62{rng.randrange(10000):04d}", serial)
        assert valid_uscc(code) and uscc_ok(code), code
        broken = code[:17] + next(c for c in CHARSET if c != code[17])
        assert not valid_uscc(broken) and not uscc_ok(broken)
