from __future__ import annotations

import base64
from urllib.parse import parse_qs, unquote, urlsplit

import pyotp
import pytest
from argon2 import PasswordHasher

from core import totp
from core.passwords import (
    dummy_verify,
    hash_password,
    needs_rehash,
    password_problems,
    verify_password,
)

# --- passwords ----------------------------------------------------------------------------


def test_hash_is_argon2id_with_the_documented_parameters() -> None:
    hashed = hash_password("Correct-Horse-9")
    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=2$")
    assert hashed != hash_password("Correct-Horse-9")  # salted
    assert verify_password(hashed, "Correct-Horse-9")
    assert not verify_password(hashed, "correct-horse-9")
    assert not verify_password(hashed, "")
    assert not needs_rehash(hashed)


@pytest.mark.parametrize("stored", ["", "plaintext", "$argon2id$v=19$m=65536,t=3,p=2$broken"])
def test_an_unreadable_hash_denies_without_raising(stored: str) -> None:
    assert verify_password(stored, "anything") is False
    assert needs_rehash(stored)


def test_hashes_with_other_parameters_verify_and_ask_for_a_rehash() -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("Old-Password-1")
    assert verify_password(weak, "Old-Password-1")
    assert needs_rehash(weak)


def test_dummy_verify_is_always_false() -> None:
    assert dummy_verify("dummy password that matches nothing") is False
    assert dummy_verify("x") is False


@pytest.mark.parametrize(
    "password, problems",
    [
        ("Abcdefgh123!", []),
        ("abcdefgh1234", ["TOO_FEW_CLASSES"]),  # long enough, but two classes
        ("Abc1!", ["TOO_SHORT"]),
        ("", ["TOO_SHORT", "TOO_FEW_CLASSES"]),
        ("aaaaaaaaaaaaaaaa", ["TOO_FEW_CLASSES", "SINGLE_CHARACTER"]),
        ("ABCDEFGHIJKL", ["TOO_FEW_CLASSES"]),
        ("掌上办掌上办Abc123", []),  # Chinese characters count as "other"
        ("Aa1!" * 70, ["TOO_LONG"]),
        ("correct horse Battery", []),
    ],
)
def test_password_problems(password: str, problems: list[str]) -> None:
    assert password_problems(password) == problems


def test_password_containing_the_username() -> None:
    assert password_problems("Zhangsan-2026!", username="ZhangSan") == ["CONTAINS_USERNAME"]
    assert password_problems("Zhangsan-2026!", username="li") == []


# --- TOTP ---------------------------------------------------------------------------------

# RFC 6238 appendix B, SHA-1 seed "12345678901234567890"; 6-digit codes are the last 6 digits.
RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()


@pytest.mark.parametrize(
    "at, code", [(59, "287082"), (1111111109, "081804"), (1234567890, "005924")]
)
def test_rfc_6238_vectors(at: int, code: str) -> None:
    assert totp.verify(RFC_SECRET, code, last_used_step=None, now=at) == at // 30


def test_new_secret_and_provisioning_uri() -> None:
    secret = totp.new_secret()
    assert len(secret) == 32 and len(base64.b32decode(secret)) == 20
    assert totp.new_secret() != secret
    uri = totp.provisioning_uri(secret, "zhang.san")
    parts = urlsplit(uri)
    assert (parts.scheme, parts.netloc) == ("otpauth", "totp")
    assert unquote(parts.path) == "/掌上办运营:zhang.san"
    query = parse_qs(parts.query)
    assert query["secret"] == [secret] and query["issuer"] == ["掌上办运营"]
    assert "掌上办测试" in unquote(totp.provisioning_uri(secret, "a", issuer="掌上办测试"))


def test_window_is_one_step_either_side() -> None:
    secret = totp.new_secret()
    now = 1_800_000_015.0
    step = int(now // 30)
    otp = pyotp.TOTP(secret)
    for offset in (-1, 0, 1):
        code = otp.at((step + offset) * 30)
        assert totp.verify(secret, code, last_used_step=None, now=now) == step + offset
    for offset in (-2, 2):
        assert (
            totp.verify(secret, otp.at((step + offset) * 30), last_used_step=None, now=now) is None
        )


def test_replay_is_refused() -> None:
    secret = totp.new_secret()
    now = 1_800_000_015.0
    code = pyotp.TOTP(secret).at(now)
    step = totp.verify(secret, code, last_used_step=None, now=now)
    assert step is not None
    assert totp.verify(secret, code, last_used_step=step, now=now) is None
    # Still refused a step later, while the code is inside the window.
    assert totp.verify(secret, code, last_used_step=step, now=now + 30) is None
    # An older code after a newer one was used is refused too.
    older = pyotp.TOTP(secret).at(now - 30)
    assert totp.verify(secret, older, last_used_step=step, now=now) is None
    # The next step's code is fine.
    newer = pyotp.TOTP(secret).at(now + 30)
    assert totp.verify(secret, newer, last_used_step=step, now=now + 30) == step + 1


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "１２３４５６", "12 34 5"])
def test_malformed_codes(code: str) -> None:
    assert totp.verify(RFC_SECRET, code, last_used_step=None, now=59) is None


def test_spaces_inside_and_around_the_code_are_ignored() -> None:
    assert totp.verify(RFC_SECRET, " 287 082 ", last_used_step=None, now=59) == 1
