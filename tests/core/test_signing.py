from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import stat
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from core.signing import SigningKeyError, SigningKeys, TokenInvalid

ISS = "handheld"
AUD = "citizen-api"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(header: dict[str, Any], payload: dict[str, Any], sign: Any = None) -> str:
    """A compact JWS built by hand, so that nothing refuses to build what an attacker would."""
    signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(payload).encode())
    signature = sign(signing_input.encode()) if sign else b""
    return signing_input + "." + b64url(signature)


def private_key(keys_dir: Path, kid: str) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key((keys_dir / f"{kid}.pem").read_bytes(), None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key


def good_claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": "u1",
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "iss": ISS,
        "aud": AUD,
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


@pytest.fixture
def keys_dir(tmp_path: Path) -> Path:
    return tmp_path / "keys"


@pytest.fixture
def keys(keys_dir: Path) -> SigningKeys:
    SigningKeys.generate(keys_dir, kid="k1")
    return SigningKeys.load(keys_dir)


def test_issue_and_verify(keys: SigningKeys) -> None:
    token = keys.issue({"sub": "u1", "role": "citizen"}, ttl_s=300, issuer=ISS, audience=AUD)
    claims = keys.verify(token, issuer=ISS, audience=AUD)
    assert claims["sub"] == "u1" and claims["role"] == "citizen"
    assert claims["exp"] - claims["iat"] == 300 and claims["nbf"] == claims["iat"]
    assert claims["iss"] == ISS and claims["aud"] == AUD and len(claims["jti"]) >= 16
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "ES256" and header["kid"] == "k1"
    other = keys.issue({"sub": "u1"}, ttl_s=300, issuer=ISS, audience=AUD)
    assert keys.verify(other, issuer=ISS, audience=AUD)["jti"] != claims["jti"]


def test_issue_refuses_reserved_claims_and_bad_ttl(keys: SigningKeys) -> None:
    with pytest.raises(ValueError):
        keys.issue({"exp": 1}, ttl_s=300, issuer=ISS, audience=AUD)
    with pytest.raises(ValueError):
        keys.issue({}, ttl_s=0, issuer=ISS, audience=AUD)
    token = keys.issue({"jti": "chosen"}, ttl_s=300, issuer=ISS, audience=AUD)
    assert keys.verify(token, issuer=ISS, audience=AUD)["jti"] == "chosen"


def test_alg_none_is_rejected(keys: SigningKeys) -> None:
    token = forge({"alg": "none", "typ": "JWT", "kid": "k1"}, good_claims())
    with pytest.raises(TokenInvalid) as caught:
        keys.verify(token, issuer=ISS, audience=AUD)
    assert caught.value.reason == "invalid"
    # And the spelling variants some libraries once accepted.
    for alg in ("None", "NONE", ""):
        forged = forge({"alg": alg, "kid": "k1"}, good_claims())
        with pytest.raises(TokenInvalid):
            keys.verify(forged, issuer=ISS, audience=AUD)


def test_hs256_with_the_public_key_as_secret_is_rejected(keys: SigningKeys, keys_dir: Path) -> None:
    public_pem = (
        private_key(keys_dir, "k1")
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    for secret in (public_pem, public_pem.strip()):
        token = forge(
            {"alg": "HS256", "typ": "JWT", "kid": "k1"},
            good_claims(),
            lambda data, s=secret: hmac.new(s, data, hashlib.sha256).digest(),
        )
        with pytest.raises(TokenInvalid) as caught:
            keys.verify(token, issuer=ISS, audience=AUD)
        assert caught.value.reason == "invalid"


def test_other_asymmetric_algorithms_are_rejected(keys: SigningKeys, keys_dir: Path) -> None:
    token = jwt.encode(
        good_claims(), private_key(keys_dir, "k1"), algorithm="ES256", headers={"kid": "k1"}
    )
    _head, payload, signature = token.split(".")
    relabelled = b64url(json.dumps({"alg": "ES384", "kid": "k1"}).encode())
    with pytest.raises(TokenInvalid):
        keys.verify(f"{relabelled}.{payload}.{signature}", issuer=ISS, audience=AUD)
    # The untouched token is fine: the refusal above is about the header alone.
    assert keys.verify(token, issuer=ISS, audience=AUD)["sub"] == "u1"


def test_tampered_payload_is_rejected(keys: SigningKeys) -> None:
    token = keys.issue({"sub": "u1", "role": "citizen"}, ttl_s=300, issuer=ISS, audience=AUD)
    head, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["role"] = "staff"
    tampered = f"{head}.{b64url(json.dumps(claims).encode())}.{signature}"
    with pytest.raises(TokenInvalid) as caught:
        keys.verify(tampered, issuer=ISS, audience=AUD)
    assert caught.value.reason == "invalid"
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    with pytest.raises(TokenInvalid):
        keys.verify(f"{head}.{payload}.{flipped}", issuer=ISS, audience=AUD)


def test_expired_is_told_apart_and_leeway_is_ten_seconds(keys: SigningKeys) -> None:
    now = time.time()
    expired = keys.issue({"sub": "u1"}, ttl_s=60, issuer=ISS, audience=AUD, now=now - 100)
    with pytest.raises(TokenInvalid) as caught:
        keys.verify(expired, issuer=ISS, audience=AUD)
    assert caught.value.reason == "expired"
    just_expired = keys.issue({"sub": "u1"}, ttl_s=60, issuer=ISS, audience=AUD, now=now - 65)
    assert keys.verify(just_expired, issuer=ISS, audience=AUD)["sub"] == "u1"
    not_yet = keys.issue({"sub": "u1"}, ttl_s=60, issuer=ISS, audience=AUD, now=now + 60)
    with pytest.raises(TokenInvalid) as caught:
        keys.verify(not_yet, issuer=ISS, audience=AUD)
    assert caught.value.reason == "invalid"


def test_an_expired_forgery_is_invalid_not_expired(keys: SigningKeys) -> None:
    other = ec.generate_private_key(ec.SECP256R1())
    token = jwt.encode(
        good_claims(exp=int(time.time()) - 100), other, algorithm="ES256", headers={"kid": "k1"}
    )
    with pytest.raises(TokenInvalid) as caught:
        keys.verify(token, issuer=ISS, audience=AUD)
    assert caught.value.reason == "invalid"


@pytest.mark.parametrize("missing", ["exp", "iat", "iss", "aud"])
def test_required_claims(keys: SigningKeys, keys_dir: Path, missing: str) -> None:
    token = jwt.encode(
        good_claims(**{missing: None}),
        private_key(keys_dir, "k1"),
        algorithm="ES256",
        headers={"kid": "k1"},
    )
    with pytest.raises(TokenInvalid) as caught:
        keys.verify(token, issuer=ISS, audience=AUD)
    assert caught.value.reason == "invalid"


def test_wrong_issuer_or_audience(keys: SigningKeys) -> None:
    token = keys.issue({"sub": "u1"}, ttl_s=300, issuer=ISS, audience=AUD)
    with pytest.raises(TokenInvalid):
        keys.verify(token, issuer="someone-else", audience=AUD)
    with pytest.raises(TokenInvalid):
        keys.verify(token, issuer=ISS, audience="staff-api")


def test_unknown_or_missing_kid_is_rejected(keys: SigningKeys, keys_dir: Path) -> None:
    key = private_key(keys_dir, "k1")
    for headers in ({"kid": "nope"}, {}):
        token = jwt.encode(good_claims(), key, algorithm="ES256", headers=headers)
        with pytest.raises(TokenInvalid) as caught:
            keys.verify(token, issuer=ISS, audience=AUD)
        assert caught.value.reason == "invalid"
    # PyJWT will not even build a non-string kid; an attacker would.
    _, payload, signature = keys.issue({}, ttl_s=300, issuer=ISS, audience=AUD).split(".")
    odd_kid = b64url(json.dumps({"alg": "ES256", "kid": ["k1"]}).encode())
    with pytest.raises(TokenInvalid):
        keys.verify(f"{odd_kid}.{payload}.{signature}", issuer=ISS, audience=AUD)
    # Another directory's key that happens to carry our kid.
    stranger_dir = keys_dir.parent / "stranger"
    SigningKeys.generate(stranger_dir, kid="k1")
    stranger = SigningKeys.load(stranger_dir)
    token = stranger.issue({"sub": "u1"}, ttl_s=300, issuer=ISS, audience=AUD)
    with pytest.raises(TokenInvalid):
        keys.verify(token, issuer=ISS, audience=AUD)


@pytest.mark.parametrize("garbage", ["", "a.b", "a.b.c", "x" * 50, "..."])
def test_garbage_is_invalid(keys: SigningKeys, garbage: str) -> None:
    with pytest.raises(TokenInvalid) as caught:
        keys.verify(garbage, issuer=ISS, audience=AUD)
    assert caught.value.reason == "invalid"


def test_rotation_keeps_old_tokens_valid_until_the_key_is_removed(
    keys: SigningKeys, keys_dir: Path
) -> None:
    old_token = keys.issue({"sub": "u1"}, ttl_s=300, issuer=ISS, audience=AUD)
    new_kid = SigningKeys.generate(keys_dir)
    # Nothing changes for this process until it reloads: the directory is read once.
    assert keys.current_kid == "k1"
    keys.reload()
    assert keys.current_kid == new_kid and keys.kids == sorted(["k1", new_kid])
    new_token = keys.issue({"sub": "u2"}, ttl_s=300, issuer=ISS, audience=AUD)
    assert jwt.get_unverified_header(new_token)["kid"] == new_kid
    assert keys.verify(old_token, issuer=ISS, audience=AUD)["sub"] == "u1"
    assert keys.verify(new_token, issuer=ISS, audience=AUD)["sub"] == "u2"

    (keys_dir / "k1.pem").unlink()
    keys.reload()
    with pytest.raises(TokenInvalid):
        keys.verify(old_token, issuer=ISS, audience=AUD)
    assert keys.verify(new_token, issuer=ISS, audience=AUD)["sub"] == "u2"


def test_a_token_of_another_process_new_key_is_accepted(keys: SigningKeys, keys_dir: Path) -> None:
    """Many API processes share the key directory: one that rotated (or restarted with a new
    key first) signs with a kid the others have not loaded; they re-read the directory."""
    other_process = SigningKeys.load(keys_dir)
    new_kid = SigningKeys.generate(keys_dir)
    other_process.reload()
    token = other_process.issue({"sub": "u3"}, ttl_s=300, issuer=ISS, audience=AUD)
    assert jwt.get_unverified_header(token)["kid"] == new_kid
    assert keys.verify(token, issuer=ISS, audience=AUD)["sub"] == "u3"
    assert keys.current_kid == new_kid  # re-read: this process signs with it too now


def test_generate_files_and_default_kid(keys_dir: Path) -> None:
    first = SigningKeys.generate(keys_dir)
    second = SigningKeys.generate(keys_dir)
    assert re.fullmatch(r"k\d{8}T\d{4}", first)
    assert second != first and second.startswith(first)
    for kid in (first, second):
        assert stat.S_IMODE((keys_dir / f"{kid}.pem").stat().st_mode) == 0o600
    assert (keys_dir / "current").read_text().strip() == second
    third = SigningKeys.generate(keys_dir, kid="spare", make_current=False)
    assert SigningKeys.load(keys_dir).current_kid == second
    assert third in SigningKeys.load(keys_dir).kids
    with pytest.raises(SigningKeyError):
        SigningKeys.generate(keys_dir, kid="spare")
    with pytest.raises(ValueError):
        SigningKeys.generate(keys_dir, kid="../escape")


def test_load_refuses_inconsistent_directories(tmp_path: Path) -> None:
    with pytest.raises(SigningKeyError):
        SigningKeys.load(tmp_path / "absent")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(SigningKeyError):
        SigningKeys.load(empty)
    no_current = tmp_path / "no-current"
    SigningKeys.generate(no_current, kid="k1", make_current=False)
    with pytest.raises(SigningKeyError):
        SigningKeys.load(no_current)
    (no_current / "current").write_text("k9\n")
    with pytest.raises(SigningKeyError):
        SigningKeys.load(no_current)
    wrong_curve = tmp_path / "wrong-curve"
    SigningKeys.generate(wrong_curve, kid="k1")
    (wrong_curve / "k2.pem").write_bytes(
        ec.generate_private_key(ec.SECP384R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with pytest.raises(SigningKeyError):
        SigningKeys.load(wrong_curve)


def test_a_failed_reload_keeps_the_old_keys(keys: SigningKeys, keys_dir: Path) -> None:
    token = keys.issue({"sub": "u1"}, ttl_s=300, issuer=ISS, audience=AUD)
    (keys_dir / "current").write_text("missing\n")
    with pytest.raises(SigningKeyError):
        keys.reload()
    assert keys.verify(token, issuer=ISS, audience=AUD)["sub"] == "u1"


def test_jwks(keys: SigningKeys, keys_dir: Path) -> None:
    SigningKeys.generate(keys_dir, kid="k2")
    keys.reload()
    jwks = keys.jwks()
    assert [k["kid"] for k in jwks["keys"]] == ["k2", "k1"]
    for jwk in jwks["keys"]:
        assert set(jwk) == {"kty", "crv", "x", "y", "kid", "use", "alg"}
        assert (jwk["kty"], jwk["crv"], jwk["use"], jwk["alg"]) == ("EC", "P-256", "sig", "ES256")
        assert len(jwk["x"]) == 43 and len(jwk["y"]) == 43 and "=" not in jwk["x"]
        numbers = private_key(keys_dir, jwk["kid"]).public_key().public_numbers()
        padded = jwk["x"] + "="
        assert int.from_bytes(base64.urlsafe_b64decode(padded), "big") == numbers.x
    # A relying party using only the published set (PyJWT's JWK code) accepts our tokens.
    token = keys.issue({"sub": "u1"}, ttl_s=300, issuer=ISS, audience=AUD)
    published = jwt.PyJWKSet.from_dict(json.loads(json.dumps(jwks)))
    claims = jwt.decode(token, published["k2"], algorithms=["ES256"], issuer=ISS, audience=AUD)
    assert claims["sub"] == "u1"
