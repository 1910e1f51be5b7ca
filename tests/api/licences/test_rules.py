"""Pure rules: identifier check characters, and display codes against another SM2 peer."""

from __future__ import annotations

import base64
import uuid

import pytest

from api.licences import display_codes
from api.licences.identifiers import (
    licence_number_problem,
    mod37_36_check,
    mod37_36_valid,
    uscc_check,
    uscc_valid,
)
from core import sm2
from core.sm2 import Sm2Verifier
from tests.fixtures.licences import pure_sm2_peer


def test_mod37_36_known_values() -> None:
    # ISO 7064 MOD 37,36 hybrid: appending the check character makes the text valid, and any
    # single substitution breaks it.
    body = "SFZ11620100013900112A123456789001"
    check = mod37_36_check(body)
    assert mod37_36_valid(body + check)
    for position in range(len(body)):
        swapped = "0" if body[position] != "0" else "1"
        assert not mod37_36_valid(body[:position] + swapped + body[position + 1 :] + check)
    # By hand: P=36; "0": S=(36+0) mod 36 → 36, P=72 mod 37=35; check=(37-35) mod 36=2.
    assert mod37_36_check("0") == "2"


def test_uscc_check() -> None:
    for code in ("91110000802100433B", "11620100013900112A", "1262010001390018X2"):
        assert uscc_valid(code), code
        assert uscc_check(code[:17]) == code[17]
    assert not uscc_valid("91110000802100433C")
    assert not uscc_valid("9111000080210043IB")  # I is not in the GB 32100 alphabet
    assert not uscc_valid("short")


def test_licence_number_problems() -> None:
    issuer = "11620100013900112A"
    body = f"SFZ{issuer}123456789001"
    good = body + mod37_36_check(body)
    assert licence_number_problem(good, "SFZ", issuer) is None
    wrong = good[:-1] + ("0" if good[-1] != "0" else "1")
    assert licence_number_problem(wrong, "SFZ", issuer) == "NUMBER_CHECK_FAILED"
    assert licence_number_problem(good, "HKB", issuer) == "NUMBER_MISMATCH"
    bad_issuer = "11620100013900112B"
    body = f"SFZ{bad_issuer}123456789001"
    number = body + mod37_36_check(body)
    assert licence_number_problem(number, "SFZ", bad_issuer) == "ISSUER_CODE_INVALID"


def _payload(expires: int) -> display_codes.DisplayPayload:
    return display_codes.DisplayPayload(
        v=1, k="k1", d=display_codes.display_id_text(uuid.uuid4()), t="SFZ", h="张*",
        f="2026-01-01", u="2036-01-01", s="valid", i=expires - 60, e=expires,
    )  # fmt: skip


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_display_code_verifies_with_pure_python_gmssl() -> None:
    """gmssl-pyx signs; the pure-Python gmssl package, another implementation, verifies."""
    key = sm2.Sm2KeyPair.generate("k1")
    code = display_codes.encode(key, _payload(2_000_000_000))
    signing_input, _, signature = code.rpartition(".")
    peer = pure_sm2_peer(key.public_key.hex())  # r||s mode
    assert peer.verify_with_sm3(_unb64(signature).hex(), signing_input.encode())
    altered = signing_input.replace(signing_input[-5], "A" if signing_input[-5] != "A" else "B")
    assert not peer.verify_with_sm3(_unb64(signature).hex(), altered.encode())
    # And ours reads it back, refusing any alteration or another key.
    ours = {"k1": Sm2Verifier(key.public_key)}
    assert display_codes.decode(ours, code).h == "张*"
    with pytest.raises(display_codes.CodeInvalid):
        display_codes.decode(ours, altered + "." + signature)
    with pytest.raises(display_codes.CodeInvalid):
        display_codes.decode({"k1": Sm2Verifier(sm2.Sm2KeyPair.generate().public_key)}, code)
    with pytest.raises(display_codes.CodeInvalid):
        display_codes.decode(ours, code[:-4])  # a truncated signature
    assert display_codes.qr_svg(code).lstrip().startswith("<svg")


def test_a_key_whose_x_starts_with_04_verifies_with_pure_python_gmssl() -> None:
    """1 key in 256 has an x starting with "04": gmssl's constructor would strip it (and more).
    Such a key once failed a whole CI run's offline display checks."""
    key = next(k for k in iter(sm2.Sm2KeyPair.generate, None) if k.public_key.hex()[:2] == "04")
    code = display_codes.encode(key, _payload(2_000_000_000))
    signing_input, _, signature = code.rpartition(".")
    peer = pure_sm2_peer(key.public_key.hex())
    assert peer.verify_with_sm3(_unb64(signature).hex(), signing_input.encode())


def test_der_and_raw_signatures_round_trip() -> None:
    key = sm2.Sm2KeyPair.generate()
    for _ in range(20):
        der = key.sign(b"message")
        assert sm2.raw_to_der(sm2.der_to_raw(der)) == der
        assert sm2.verify(key.public_key, b"message", der)
    pem = sm2.public_key_pem(key.public_key)
    assert pem.startswith("-----BEGIN PUBLIC KEY-----")


def test_key_file_round_trip(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "k.json"
    key = sm2.Sm2KeyPair.generate("kid")
    key.save(path)
    assert path.stat().st_mode & 0o777 == 0o600
    loaded = sm2.Sm2KeyPair.load(path)
    assert loaded.public_key == key.public_key and "private" not in repr(loaded).lower().replace(
        "private_key=<hidden>", ""
    )
