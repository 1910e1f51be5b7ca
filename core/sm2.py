"""SM2 signatures with SM3 (GB/T 32918, GM/T 0009) on ``gmssl-pyx``, and SM2 key files.

Signatures are ASN.1 DER ``SEQUENCE { r INTEGER, s INTEGER }`` over the message with the
standard ``Z`` value (default signer id ``1234567812345678``), so any conforming implementation
verifies them. Public keys travel as 65-byte uncompressed points (``04 || x || y``) in hex, or as
a SubjectPublicKeyInfo PEM (id-ecPublicKey with the SM2 curve OID 1.2.156.10197.1.301).
"""

from __future__ import annotations

import base64
import json
import multiprocessing
import os
import secrets
import tempfile
import time
from collections import deque
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import gmssl_pyx  # type: ignore[import-untyped]

from core.processes import exit_when_orphaned

SIGNER_ID = gmssl_pyx.SM2_DEFAULT_SIGNER_ID
# SEQUENCE { SEQUENCE { id-ecPublicKey, sm2p256v1 }, BIT STRING (0 unused bits) 04 … }
_SPKI_PREFIX = bytes.fromhex("3059301306072a8648ce3d020106082a811ccf5501822d034200")


class Sm2KeyError(ValueError):
    """A key file or a public key that is not a valid SM2 key."""


def sm3(data: bytes) -> bytes:
    return bytes(gmssl_pyx.sm3_hash(data))


# The order n of the SM2 curve's base point G (GB/T 32918.5).
ORDER = int("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123", 16)

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


def signing_nonces(count: int, *, yield_gil: bool = True) -> list[tuple[int, int]]:
    """``count`` fresh pairs ``(k, x1)``: ``k`` uniformly random in [1, n-1] and ``x1`` the
    x coordinate of kG, the costly half of an SM2 signature (GB/T 32918.2 §6.1 A3-A4). A key
    generation is exactly that computation, so GmSSL's does it. ``yield_gil``: give the event
    loop's thread the interpreter between two (run in a thread, each holds it ~0.3 ms)."""
    pairs = []
    for _ in range(count):
        public, private = gmssl_pyx.sm2_key_generate()
        pairs.append(
            (int.from_bytes(bytes(private), "big"), int.from_bytes(bytes(public)[:32], "big"))
        )
        if yield_gil:
            time.sleep(0)
    return pairs


class Sm2Signer:
    """Signs with one key, the costly half of each signature computed ahead, in batches, in a
    process of its own: a signature in the request is then a few modular operations
    (GB/T 32918.2 §6.1 A5-A6), the same DER/``r || s`` signature any SM2 verifier checks.

    GmSSL's ``sm2_sign`` costs ~0.55 ms of the event loop per signature, about half of it an
    inversion of (1 + d) that depends on the key only: here it is computed once, and kG
    (~0.3 ms, GmSSL's key generation) ``batch`` at a time by one worker process (spawned, so
    it shares no state; a thread would not do, gmssl-pyx holds the GIL), refilled when half
    the pool is used. Should the pool run dry (a burst), one nonce is drawn in place rather
    than waiting for the batch. Each nonce is used once (popped) and never outlives the
    process that holds it: a forked child drops the pool it inherited rather than sign with
    nonces its parent also holds (two signatures with one k give the key away).
    """

    def __init__(self, key: Sm2KeyPair, *, batch: int = 64) -> None:
        self.key = key
        self._d = int.from_bytes(key.private_key, "big")
        self._inverse = pow(1 + self._d, -1, ORDER)
        self._z = signer_z(key.public_key)
        self._batch = batch
        self._pid = os.getpid()
        self._nonces: deque[tuple[int, int]] = deque()
        self._refill: Future[list[tuple[int, int]]] | None = None
        self._executor: Executor | None = None
        self._start_refill()

    def close(self) -> None:
        if self._executor is not None:
            # Waits for the batch in hand (tens of ms): no worker outlives the signer.
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
        self._nonces.clear()

    def sign(self, message: bytes) -> bytes:
        """64-byte ``r || s`` SM2-SM3 signature of ``message`` (``raw_to_der`` for DER)."""
        e = int.from_bytes(sm3(self._z + message), "big")
        while True:
            if os.getpid() != self._pid:  # forked: nothing of the parent's pool is ours
                self._pid, self._refill, self._executor = os.getpid(), None, None
                self._nonces.clear()
            if len(self._nonces) <= self._batch // 2:
                self._start_refill()
            try:
                k, x1 = self._nonces.popleft()
            except IndexError:
                k, x1 = signing_nonces(1, yield_gil=False)[0]
            r = (e + x1) % ORDER
            if r == 0 or r + k == ORDER:
                continue  # A5: draw another k
            s = self._inverse * (k - r * self._d) % ORDER
            if s == 0:
                continue
            return r.to_bytes(32, "big") + s.to_bytes(32, "big")

    def _start_refill(self) -> None:
        if self._refill is not None and not self._refill.done():
            return
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=exit_when_orphaned,
                initargs=(os.getpid(),),
            )
        pid = self._pid
        nonces = self._nonces

        def refilled(done: Future[list[tuple[int, int]]]) -> None:
            # In the executor's own thread: a deque's extend is atomic.
            if not done.cancelled() and done.exception() is None and os.getpid() == pid:
                nonces.extend(done.result())

        self._refill = self._executor.submit(signing_nonces, self._batch, yield_gil=False)
        self._refill.add_done_callback(refilled)
