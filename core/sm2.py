"""SM2 signatures with SM3 (GB/T 32918, GM/T 0009) on ``gmssl-pyx``, and SM2 key files.

Signatures are ASN.1 DER ``SEQUENCE { r INTEGER, s INTEGER }`` over the message with the
standard ``Z`` value (default signer id ``1234567812345678``), so any conforming implementation
verifies them. Public keys travel as 65-byte uncompressed points (``04 || x || y``) in hex, or as
a SubjectPublicKeyInfo PEM (id-ecPublicKey with the SM2 curve OID 1.2.156.10197.1.301).
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

import gmssl_pyx  # type: ignore[import-untyped]

SIGNER_ID = gmssl_pyx.SM2_DEFAULT_SIGNER_ID
# SEQUENCE { SEQUENCE { id-ecPublicKey, sm2p256v1 }, BIT STRING (0 unused bits) 04 … }
_SPKI_PREFIX = bytes.fromhex("3059301306072a8648ce3d020106082a811ccf5501822d034200")


class Sm2KeyError(ValueError):
    """A key file or a public key that is not a valid SM2 key."""


def sm3(data: bytes) -> bytes:
    return bytes(gmssl_pyx.sm3_hash(data))


# GB/T 32918.2 curve parameters a, b, G (x, y), for the signer's Z value.
_CURVE = bytes.fromhex(
    "FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC"
    "28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93"
    "32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7"
    "BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0"
)


def signer_z(public_key: bytes, signer_id: bytes = SIGNER_ID) -> bytes:
    """Z = SM3(ENTL || ID || a || b || xG || yG || xA || yA) (GB/T 32918.2 §5.5)."""
    return sm3((len(signer_id) * 8).to_bytes(2, "big") + signer_id + _CURVE + public_key)


def public_key_from_hex(text: str) -> bytes:
    """64-byte raw point from hex (65-byte ``04…``, 64-byte or 33-byte compressed); checked."""
    try:
        return bytes(gmssl_pyx.normalize_sm2_public_key(text))
    except (gmssl_pyx.InvalidValueError, ValueError) as exc:
        raise Sm2KeyError("not an SM2 public key") from exc


def verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """True when ``signature`` (DER) is a valid SM2-SM3 signature of ``message``."""
    try:
        return bool(gmssl_pyx.sm2_verify(public_key, message, signature, SIGNER_ID))
    except (gmssl_pyx.InvalidValueError, gmssl_pyx.GmsslInnerError, ValueError):
        return False


class Sm2Verifier:
    """Verifies SM2-SM3 signatures (raw ``r || s``) made with one public key, the signer's Z
    value computed once (gmssl-pyx's ``sm2_verify`` recomputes it on every call)."""

    def __init__(self, public_key: bytes) -> None:
        if len(public_key) != 64:
            raise Sm2KeyError("an SM2 public key has 64 bytes (x || y)")
        self.public_key = bytes(public_key_from_hex(public_key.hex()))
        self._z = signer_z(self.public_key)

    def verify(self, message: bytes, signature: bytes) -> bool:
        """True when ``signature`` (64-byte ``r || s``) signs ``message`` with this key."""
        if len(signature) != 64:
            return False
        try:
            der = raw_to_der(signature)
            digest = sm3(self._z + message)
            return bool(gmssl_pyx.sm2_verify_sm3_digest(self.public_key, digest, der))
        except (gmssl_pyx.InvalidValueError, gmssl_pyx.GmsslInnerError, ValueError):
            return False


def der_to_raw(signature: bytes) -> bytes:
    """DER ``SEQUENCE { r, s }`` → 64-byte ``r || s`` (compact transport)."""
    try:
        if signature[0] != 0x30:
            raise ValueError
        pos = 2 if signature[1] < 0x80 else 3
        parts = []
        for _ in range(2):
            if signature[pos] != 0x02:
                raise ValueError
            length = signature[pos + 1]
            value = signature[pos + 2 : pos + 2 + length]
            pos += 2 + length
            parts.append(int.from_bytes(value, "big").to_bytes(32, "big"))
    except (IndexError, ValueError, OverflowError) as exc:
        raise ValueError("not a DER SM2 signature") from exc
    return parts[0] + parts[1]


def raw_to_der(raw: bytes) -> bytes:
    """64-byte ``r || s`` → DER."""
    if len(raw) != 64:
        raise ValueError("an r||s signature has 64 bytes")

    def integer(value: bytes) -> bytes:
        value = value.lstrip(b"\x00") or b"\x00"
        if value[0] & 0x80:
            value = b"\x00" + value
        return b"\x02" + bytes([len(value)]) + value

    body = integer(raw[:32]) + integer(raw[32:])
    return b"\x30" + bytes([len(body)]) + body


def public_key_pem(public_key: bytes) -> str:
    der = _SPKI_PREFIX + b"\x04" + public_key
    lines = base64.encodebytes(der).decode().strip().splitlines()
    return "-----BEGIN PUBLIC KEY-----\n" + "\n".join(lines) + "\n-----END PUBLIC KEY-----\n"


_Z_CACHE: dict[bytes, bytes] = {}


@dataclass(frozen=True, slots=True)
class Sm2KeyPair:
    key_id: str
    private_key: bytes  # 32 bytes
    public_key: bytes  # 64 bytes (x || y)

    def __repr__(self) -> str:
        return f"Sm2KeyPair(key_id={self.key_id!r}, private_key=<hidden>)"

    @property
    def public_key_hex(self) -> str:
        """Uncompressed point ``04 || x || y`` in hex."""
        return "04" + self.public_key.hex()

    def sign(self, message: bytes) -> bytes:
        """DER SM2-SM3 signature of ``message``. Z is computed once per key: gmssl-pyx's
        ``sm2_sign`` spends ten times the signature's own cost deriving it on every call."""
        z = _Z_CACHE.get(self.public_key)
        if z is None:
            z = _Z_CACHE[self.public_key] = signer_z(self.public_key)
        digest = sm3(z + message)
        return bytes(gmssl_pyx.sm2_sign_sm3_digest(self.private_key, digest))

    @classmethod
    def generate(cls, key_id: str | None = None) -> Sm2KeyPair:
        public, private = gmssl_pyx.sm2_key_generate()
        return cls(key_id or "sm2-" + secrets.token_hex(4), bytes(private), bytes(public))

    def save(self, path: Path) -> None:
        """Write the pair as JSON, readable by its owner only (atomically)."""
        text = json.dumps(
            {
                "keyId": self.key_id,
                "algorithm": "SM2-SM3",
                "privateKey": self.private_key.hex(),
                "publicKey": self.public_key_hex,
            },
            indent=1,
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".sm2-", dir=path.parent)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(text)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: Path) -> Sm2KeyPair:
        try:
            data = json.loads(path.read_text())
            pair = cls(
                str(data["keyId"]),
                bytes.fromhex(data["privateKey"]),
                public_key_from_hex(data["publicKey"]),
            )
        except (OSError, KeyError, ValueError, TypeError) as exc:
            raise Sm2KeyError(f"{path}: not an SM2 key file") from exc
        if len(pair.private_key) != 32:
            raise Sm2KeyError(f"{path}: the private key has 32 bytes")
        probe = b"key-check"
        if not verify(pair.public_key, probe, pair.sign(probe)):
            raise Sm2KeyError(f"{path}: the public key does not match the private key")
        return pair
