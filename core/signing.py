"""JWT access tokens signed with rotating EC P-256 keys (ES256), and their JWKS.

Key directory layout::

    keys/
      current            text file holding the kid that signs new tokens
      k20261122T0215.pem  PKCS#8 private key, mode 0600, kid = file name without .pem
      k20260801T0900.pem  an older key: no longer signs, still verifies and is published

Rotation is ``SigningKeys.generate(dir)`` (a new key becomes current) followed by ``reload()``
in every process; a process that meets a token signed by a key it does not know re-reads the
directory itself (at most every ``UNKNOWN_KID_RELOAD_S``), so with many API processes sharing
the directory, one that rotated (or restarted first) never has its tokens refused by the others.
Tokens signed by an older key stay valid until they expire as long as its file is kept; delete
the file (after the longest token lifetime) to retire it.

Asymmetric keys let other services (department apps, the ops console) verify our tokens from
the published JWKS without holding anything that could mint one.

ES256 rather than SM2: no maintained JOSE library implements SM2 signatures (there is no
registered JWS algorithm for it), and a home-made JWS would be a larger risk than the
algorithm choice. The national-algorithm requirement is met for data at rest (core.pii, SM4)
and integrity chains (core.audit, SM3).
"""

from __future__ import annotations

import base64
import os
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

ALGORITHM = "ES256"
LEEWAY_S = 10
CURRENT_FILE = "current"
# How often at most a token signed by an unknown key makes a process re-read its key directory.
UNKNOWN_KID_RELOAD_S = 5.0
_KID = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud"]
# Set by issue(); a caller passing them would silently fight with ttl_s/issuer/audience.
_RESERVED_CLAIMS = frozenset({"iat", "nbf", "exp", "iss", "aud"})


class SigningKeyError(RuntimeError):
    """The key directory is missing, empty, or inconsistent."""


class TokenInvalid(Exception):
    """A token that must not be accepted. ``reason`` is "expired" or "invalid".

    Only those two are told apart: a client refreshes on "expired", and gives up on anything
    else. Finer detail would help whoever is forging tokens more than it helps a client.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class _KeyState:
    current_kid: str
    private_keys: Mapping[str, ec.EllipticCurvePrivateKey]
    public_keys: Mapping[str, ec.EllipticCurvePublicKey]
    jwks_keys: tuple[Mapping[str, str], ...]


class SigningKeys:
    """The key set read from one directory; ``issue`` with the current key, ``verify`` with any."""

    def __init__(self, directory: Path) -> None:
        self._dir = directory
        self._state = _read_dir(directory)
        self._unknown_kid_reload_at = 0.0

    @classmethod
    def load(cls, directory: Path) -> SigningKeys:
        return cls(directory)

    def reload(self) -> None:
        """Re-read the directory (after a rotation). The old set stays in use if this fails."""
        # One attribute assignment: a concurrent issue/verify sees either set, never a mix.
        self._state = _read_dir(self._dir)

    @staticmethod
    def generate(directory: Path, kid: str | None = None, make_current: bool = True) -> str:
        """Write a new P-256 private key to ``directory/<kid>.pem`` (0600); return the kid."""
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        if kid is None:
            kid = _free_kid(directory)
        elif not _KID.fullmatch(kid):
            raise ValueError(f"kid must be 1-64 of [A-Za-z0-9_.-]: {kid!r}")
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        path = directory / f"{kid}.pem"
        # O_EXCL: an existing key is never overwritten (tokens signed by it would break), and
        # the mode is set at creation so the key is never readable by others, even briefly.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise SigningKeyError(f"signing key {kid!r} already exists") from None
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
            out.flush()
            os.fsync(out.fileno())
        if make_current:
            _write_atomically(directory / CURRENT_FILE, kid + "\n")
        return kid

    @property
    def current_kid(self) -> str:
        return self._state.current_kid

    @property
    def kids(self) -> list[str]:
        return sorted(self._state.public_keys)

    def issue(
        self,
        claims: Mapping[str, Any],
        *,
        ttl_s: int,
        issuer: str,
        audience: str,
        now: float | None = None,
    ) -> str:
        """Sign ``claims`` plus iat, nbf, exp, iss, aud and a random jti (unless one is given)."""
        if ttl_s <= 0:
            raise ValueError("ttl_s must be positive")
        clash = _RESERVED_CLAIMS.intersection(claims)
        if clash:
            raise ValueError(f"claims set by issue() itself: {sorted(clash)}")
        state = self._state
        issued_at = int(time.time() if now is None else now)
        payload: dict[str, Any] = {
            **claims,
            "iat": issued_at,
            "nbf": issued_at,
            "exp": issued_at + ttl_s,
            "iss": issuer,
            "aud": audience,
        }
        payload.setdefault("jti", secrets.token_urlsafe(16))
        return jwt.encode(
            payload,
            state.private_keys[state.current_kid],
            algorithm=ALGORITHM,
            headers={"kid": state.current_kid, "typ": "JWT"},
        )

    def verify(self, token: str, *, issuer: str, audience: str) -> dict[str, Any]:
        """The claims of a valid token, else ``TokenInvalid("expired" | "invalid")``."""
        state = self._state
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise TokenInvalid("invalid") from None
        # The header is attacker-controlled: check alg ourselves before any key is chosen, so
        # "none" and HS256-with-the-public-key-as-secret never reach a verifier. The key is
        # chosen by kid only among our own public keys, never taken from the token (jwk/jku).
        kid = header.get("kid")
        if header.get("alg") != ALGORITHM or not isinstance(kid, str):
            raise TokenInvalid("invalid")
        key = state.public_keys.get(kid) or self._key_after_reload(kid)
        if key is None:
            raise TokenInvalid("invalid")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                issuer=issuer,
                audience=audience,
                leeway=LEEWAY_S,
                options={"require": _REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError:
            # PyJWT checks the signature before the claims, so only a genuine token of ours
            # is ever reported as "expired".
            raise TokenInvalid("expired") from None
        except jwt.InvalidTokenError:
            raise TokenInvalid("invalid") from None
        return claims

    def _key_after_reload(self, kid: str) -> ec.EllipticCurvePublicKey | None:
        """A kid we do not know may be another process's new key: re-read the directory, but
        not more than every UNKNOWN_KID_RELOAD_S (made-up kids must not cost a read each)."""
        now = time.monotonic()
        if now - self._unknown_kid_reload_at < UNKNOWN_KID_RELOAD_S:
            return None
        self._unknown_kid_reload_at = now
        try:
            self.reload()
        except (OSError, ValueError, SigningKeyError):
            return None  # the set in use stays; a broken directory must not refuse known keys
        return self._state.public_keys.get(kid)

    def jwks(self) -> dict[str, Any]:
        """Every public key, current or not, as an RFC 7517 JWK Set."""
        return {"keys": [dict(k) for k in self._state.jwks_keys]}


def _read_dir(directory: Path) -> _KeyState:
    if not directory.is_dir():
        raise SigningKeyError(f"signing key directory {directory} does not exist")
    private_keys: dict[str, ec.EllipticCurvePrivateKey] = {}
    for path in sorted(directory.glob("*.pem")):
        kid = path.stem
        if not _KID.fullmatch(kid):
            raise SigningKeyError(f"signing key file name is not a valid kid: {path.name}")
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        # Anything but P-256 would sign tokens no ES256 verifier accepts; fail at start-up.
        if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(
            key.curve, ec.SECP256R1
        ):
            raise SigningKeyError(f"signing key {path.name} is not an EC P-256 key")
        private_keys[kid] = key
    if not private_keys:
        raise SigningKeyError(f"no signing keys (*.pem) in {directory}")
    try:
        current = (directory / CURRENT_FILE).read_text("utf-8").strip()
    except FileNotFoundError:
        raise SigningKeyError(f"{directory / CURRENT_FILE} is missing") from None
    if current not in private_keys:
        raise SigningKeyError(f"current signing key {current!r} has no .pem file in {directory}")
    public_keys = {kid: key.public_key() for kid, key in private_keys.items()}
    return _KeyState(
        current_kid=current,
        private_keys=private_keys,
        public_keys=public_keys,
        # Current key first: some clients try keys in order.
        jwks_keys=tuple(
            _jwk(kid, public_keys[kid])
            for kid in sorted(public_keys, key=lambda k: (k != current, k))
        ),
    )


def _jwk(kid: str, key: ec.EllipticCurvePublicKey) -> dict[str, str]:
    numbers = key.public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": _b64url(numbers.x.to_bytes(32, "big")),
        "y": _b64url(numbers.y.to_bytes(32, "big")),
        "kid": kid,
        "use": "sig",
        "alg": ALGORITHM,
    }


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _free_kid(directory: Path) -> str:
    base = "k" + datetime.now(UTC).strftime("%Y%m%dT%H%M")
    kid, n = base, 1
    # Two rotations in the same minute (tests, a hurried operator) get a suffix.
    while (directory / f"{kid}.pem").exists():
        n += 1
        kid = f"{base}-{n}"
    return kid


def _write_atomically(path: Path, text: str) -> None:
    # A reader (reload in another process) sees the old or the new kid, never a torn file.
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)


__all__ = ["ALGORITHM", "LEEWAY_S", "SigningKeyError", "SigningKeys", "TokenInvalid"]
