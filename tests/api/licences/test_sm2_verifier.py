"""The display codes' SM2 verifier (gmssl-pyx with the signer's Z computed once), held to
gmssl-pyx's own ``sm2_verify`` and to the pure-Python gmssl package's signatures: what one
accepts the other accepts, whatever the alteration."""

from __future__ import annotations

import os
import random

import pytest

from core import sm2
from core.sm2 import Sm2Verifier
from tests.fixtures.licences import pure_sm2_peer


def _reference(public_key: bytes, message: bytes, raw: bytes) -> bool:
    try:
        der = sm2.raw_to_der(raw)
    except ValueError:
        return False
    return sm2.verify(public_key, message, der)


# The order of the SM2 curve's base point (GB/T 32918.5).
N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123


def _raw(r: int, s: int) -> bytes:
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def test_valid_signatures_verify_and_every_alteration_fails_as_with_gmssl() -> None:
    rng = random.Random(20260101)
    for round_ in range(4):
        key = sm2.Sm2KeyPair.generate()
        ours = Sm2Verifier(key.public_key)
        for length in (0, 1, 31, 64, 200, 1000):
            message = rng.randbytes(length)
            raw = sm2.der_to_raw(key.sign(message))
            assert ours.verify(message, raw) and _reference(key.public_key, message, raw)
            for _ in range(8):  # one bit flipped in r || s, then in the message
                flipped = bytearray(raw)
                flipped[rng.randrange(64)] ^= 1 << rng.randrange(8)
                assert ours.verify(message, bytes(flipped)) is False
                assert _reference(key.public_key, message, bytes(flipped)) is False
                if message:
                    altered = bytearray(message)
                    altered[rng.randrange(len(message))] ^= 1 << rng.randrange(8)
                    assert ours.verify(bytes(altered), raw) is False
        other = Sm2Verifier(sm2.Sm2KeyPair.generate().public_key)
        assert other.verify(b"m", sm2.der_to_raw(key.sign(b"m"))) is False, round_


def test_signatures_of_another_implementation_verify() -> None:
    key = sm2.Sm2KeyPair.generate()
    peer = pure_sm2_peer(key.public_key.hex(), key.private_key.hex())
    ours = Sm2Verifier(key.public_key)
    for i in range(5):
        message = os.urandom(40 + i)
        signature = peer.sign_with_sm3(message, os.urandom(32).hex())  # r || s in hex
        assert ours.verify(message, bytes.fromhex(signature))


def test_out_of_range_components_and_shapes_are_refused() -> None:
    key = sm2.Sm2KeyPair.generate()
    ours = Sm2Verifier(key.public_key)
    message = b"HL1.payload"
    r = int.from_bytes(sm2.der_to_raw(key.sign(message))[:32], "big")
    s = int.from_bytes(sm2.der_to_raw(key.sign(message))[32:], "big")
    for bad in (
        _raw(0, s), _raw(r, 0), _raw(N, s), _raw(r, N), _raw(r + N, s) if r + N < 2**256 else b"",
        _raw(r, N - r),  # t = r + s = 0 (mod n)
        b"", b"\x00" * 63, b"\x01" * 65,
    ):  # fmt: skip
        assert ours.verify(message, bad) is False
        assert _reference(key.public_key, message, bad) is False


def test_keys_must_be_points_of_the_curve() -> None:
    with pytest.raises(sm2.Sm2KeyError):
        Sm2Verifier(b"\x01" * 64)
    with pytest.raises(sm2.Sm2KeyError):
        Sm2Verifier(b"\x01" * 65)
