"""Personal data at rest: SM4-GCM field encryption, HMAC-SM3 lookup hashes, masking, validators.

docs/domain.md §9 makes ID numbers and phone numbers sensitive personal information: encrypted at
rest with the national algorithms, masked in every response and log. A column holding such a
value is stored twice: as ``encrypt(value, field=...)`` (bytea, readable only with the key) and
as ``lookup_hash(value, field=...)`` (bytea, indexed) so that "find the citizen with this ID
number" is an equality lookup that never needs the plaintext in the database.

Ciphertext layout (all of it is authenticated, nothing is secret but the key)::

    version (1 byte, 0x01) | key id length n (1 byte) | key id (n ASCII bytes)
    | nonce (12 random bytes) | SM4-GCM ciphertext | GCM tag (16 bytes)

The associated data is ``header || 0x00 || field`` (header = the first 2 + n bytes), so a blob
copied to another column (``field``) or given another key id fails to decrypt instead of
yielding a plausible value. Old blobs keep decrypting after a key rotation as long as their
key id stays in the key set; ``needs_reencryption`` tells a background job which rows to
rewrite with the current key.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
import unicodedata
from collections.abc import Mapping
from datetime import UTC, date, datetime

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from core.clock import china_today
from core.settings import Secret

VERSION = 1
KEY_SIZE = 16  # SM4 has a 128-bit key, nothing else.
NONCE_SIZE = 12  # The GCM nonce size that needs no extra GHASH step; random per value.
TAG_SIZE = 16
MIN_LOOKUP_KEY_SIZE = 32  # At least the SM3 output size, as HMAC key guidance asks.
_KEY_ID = re.compile(r"[A-Za-z0-9_.-]{1,32}")


class PiiError(Exception):
    """A blob that cannot be decrypted: tampered, moved to another field, or unknown key."""


class PiiCipher:
    """Encrypts and decrypts personal-data fields with a rotating set of SM4 keys."""

    __slots__ = ("_current", "_keys", "_lookup_key")

    def __init__(self, keys: Mapping[str, bytes], current_key_id: str, lookup_key: bytes) -> None:
        if not keys:
            raise ValueError("PII key set is empty")
        for key_id, key in keys.items():
            if not _KEY_ID.fullmatch(key_id):
                raise ValueError(f"PII key id must be 1-32 of [A-Za-z0-9_.-]: {key_id!r}")
            if len(key) != KEY_SIZE:
                raise ValueError(f"PII key {key_id!r} must be {KEY_SIZE} bytes, got {len(key)}")
        if current_key_id not in keys:
            raise ValueError(f"current PII key id {current_key_id!r} is not in the key set")
        if len(lookup_key) < MIN_LOOKUP_KEY_SIZE:
            raise ValueError(f"PII lookup key must be at least {MIN_LOOKUP_KEY_SIZE} bytes")
        self._keys = {key_id: bytes(key) for key_id, key in keys.items()}
        self._current = current_key_id
        self._lookup_key = bytes(lookup_key)

    def __repr__(self) -> str:
        # Key material never appears in a repr, a log line or a traceback.
        return f"PiiCipher(key_ids={sorted(self._keys)!r}, current={self._current!r})"

    @classmethod
    def from_settings(cls, keys_spec: str, current_key_id: str, lookup_key_b64: str) -> PiiCipher:
        """Build from settings text: ``keys_spec`` is ``"kid1:BASE64,kid2:BASE64"``."""
        keys: dict[str, bytes] = {}
        for item in _reveal(keys_spec).split(","):
            item = item.strip()
            if not item:
                continue
            key_id, sep, encoded = item.partition(":")
            key_id = key_id.strip()
            if not sep:
                raise ValueError(f"PII key entry must be KID:BASE64 (entry for {key_id!r})")
            if key_id in keys:
                raise ValueError(f"PII key id {key_id!r} appears twice")
            keys[key_id] = _b64decode(encoded.strip(), f"PII key {key_id!r}")
        lookup_key = _b64decode(_reveal(lookup_key_b64).strip(), "PII lookup key")
        return cls(keys, _reveal(current_key_id).strip(), lookup_key)

    @property
    def current_key_id(self) -> str:
        return self._current

    def encrypt(self, value: str, *, field: str) -> bytes:
        return self.encrypt_bytes(value.encode("utf-8"), field=field)

    def decrypt(self, blob: bytes, *, field: str) -> str:
        plain = self.decrypt_bytes(blob, field=field)
        try:
            return plain.decode("utf-8")
        except UnicodeDecodeError:  # Authenticated, so only a bug could get here.
            raise PiiError("PII plaintext is not UTF-8") from None

    def encrypt_bytes(self, value: bytes, *, field: str) -> bytes:
        """``encrypt`` for binary values, e.g. wrapping a file's data key (core.filecrypt)."""
        header = _header(self._current)
        nonce = os.urandom(NONCE_SIZE)
        encryptor = Cipher(algorithms.SM4(self._keys[self._current]), modes.GCM(nonce)).encryptor()
        encryptor.authenticate_additional_data(_associated_data(header, field))
        body = encryptor.update(value) + encryptor.finalize()
        return header + nonce + body + encryptor.tag

    def decrypt_bytes(self, blob: bytes, *, field: str) -> bytes:
        key_id, header_len = _parse_header(blob)
        key = self._keys.get(key_id)
        if key is None:
            raise PiiError(f"unknown PII key id {key_id!r}")
        if len(blob) < header_len + NONCE_SIZE + TAG_SIZE:
            raise PiiError("PII blob is truncated")
        header = bytes(blob[:header_len])
        nonce = bytes(blob[header_len : header_len + NONCE_SIZE])
        tag = bytes(blob[-TAG_SIZE:])
        body = bytes(blob[header_len + NONCE_SIZE : -TAG_SIZE])
        decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
        decryptor.authenticate_additional_data(_associated_data(header, field))
        try:
            return decryptor.update(body) + decryptor.finalize()
        except InvalidTag:
            # Deliberately one message for every cause: a wrong field, a flipped bit and a
            # forged blob must look the same to whoever is probing.
            raise PiiError("PII blob failed authentication") from None

    def key_id_of(self, blob: bytes) -> str:
        return _parse_header(blob)[0]

    def needs_reencryption(self, blob: bytes) -> bool:
        return self.key_id_of(blob) != self._current

    def reencrypt(self, blob: bytes, *, field: str) -> bytes:
        """The same value under the current key (for the rotation job); unchanged if current."""
        if not self.needs_reencryption(blob):
            return blob
        return self.encrypt(self.decrypt(blob, field=field), field=field)

    def lookup_hash(self, value: str, *, field: str) -> bytes:
        """HMAC-SM3 of ``field || 0x00 || normalize_lookup_value(value)`` (32 bytes).

        Keyed, because ID numbers and phone numbers have so little entropy that a plain hash
        is reversed by enumerating them. The field name is mixed in so that equal values in
        two columns do not produce linkable hashes.
        """
        mac = crypto_hmac.HMAC(self._lookup_key, hashes.SM3())
        mac.update(field.encode("utf-8") + b"\x00" + normalize_lookup_value(value).encode("utf-8"))
        return mac.finalize()


def normalize_lookup_value(value: str) -> str:
    """The form hashed by ``lookup_hash``, so that the same person is found however typed.

    1. Unicode NFKC: full-width digits and letters from a Chinese input method ("１１０１",
       "Ｘ") become ASCII.
    2. Whitespace removed at both ends (pasted values often carry it).
    3. Upper-cased: the ID number check character is written "x" or "X" for the same
       number. Phone numbers are digits, so this changes nothing for them; other fields
       become case-insensitive, which is what a lookup wants.

    Encryption stores the value as given; only the lookup hash is normalized.
    """
    return unicodedata.normalize("NFKC", value).strip().upper()


def generate_keyset() -> tuple[str, str, str]:
    """Fresh random keys as ``(keys_spec, current_key_id, lookup_key_b64)`` for settings."""
    key_id = "k" + datetime.now(UTC).strftime("%Y%m%dT%H%M")
    key = base64.b64encode(secrets.token_bytes(KEY_SIZE)).decode("ascii")
    lookup = base64.b64encode(secrets.token_bytes(MIN_LOOKUP_KEY_SIZE)).decode("ascii")
    return f"{key_id}:{key}", key_id, lookup


def _reveal(value: str) -> str:
    # A settings Secret prints as asterisks; the real text is needed here.
    return value.reveal() if isinstance(value, Secret) else value


def _b64decode(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{what} is not valid base64") from None


def _header(key_id: str) -> bytes:
    raw = key_id.encode("ascii")
    return bytes((VERSION, len(raw))) + raw


def _associated_data(header: bytes, field: str) -> bytes:
    return header + b"\x00" + field.encode("utf-8")


def _parse_header(blob: bytes) -> tuple[str, int]:
    if len(blob) < 2:
        raise PiiError("PII blob is truncated")
    if blob[0] != VERSION:
        raise PiiError(f"unsupported PII blob version {blob[0]}")
    end = 2 + blob[1]
    if blob[1] == 0 or len(blob) < end:
        raise PiiError("PII blob is truncated")
    try:
        key_id = bytes(blob[2:end]).decode("ascii")
    except UnicodeDecodeError:
        raise PiiError("PII blob has a malformed key id") from None
    return key_id, end


# --- masking: for every response and every log line (docs/domain.md §9) -------------------------


def mask_id_number(value: str) -> str:
    """Keep the first 4 (region) and last 4 characters: ``1101**********002X``.

    Anything too short to keep 8 characters and still hide something is masked entirely.
    """
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str) -> str:
    """Keep the first 3 (carrier prefix) and last 4 digits: ``138****5678``."""
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(value: str) -> str:
    """Keep the first character (the family name in most Chinese names): ``张**``.

    A one-character value is masked entirely, since keeping it would reveal all of it.
    """
    value = value.strip()
    if len(value) <= 1:
        return "*" * len(value)
    return value[0] + "*" * (len(value) - 1)


# --- validators ---------------------------------------------------------------------------

# GB 11643-1999: ISO 7064 MOD 11-2, weight of position i (0-based, 17 digits) is 2^(17-i) mod 11.
_ID_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_ID_CHECK = "10X98765432"
_ID_SHAPE = re.compile(r"[1-9][0-9]{16}[0-9Xx]")
# \d would accept any Unicode digit; only ASCII digits form a dialable mainland number.
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_EARLIEST_BIRTH_YEAR = 1900


def id_number_check_character(first17: str) -> str:
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def valid_id_number(value: str, *, today: date | None = None) -> bool:
    """An 18-character citizen ID number (GB 11643): shape, birth date and check character.

    The birth date (characters 7-14) must be a real calendar date between 1900 and today.
    A lower-case ``x`` check character is accepted, as people type it.
    """
    # fullmatch, not match with "$": "$" also matches before a trailing newline.
    if not _ID_SHAPE.fullmatch(value):
        return False
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    # Born today in China is fine at 07:00 Beijing time, when the UTC date is still yesterday.
    if born.year < _EARLIEST_BIRTH_YEAR or born > (today or china_today()):
        return False
    return id_number_check_character(value[:17]) == value[17].upper()


def valid_mobile(value: str) -> bool:
    """A mainland mobile number: 11 ASCII digits, ``1[3-9]`` prefix."""
    return _MOBILE.fullmatch(value) is not None


__all__ = [
    "PiiCipher",
    "PiiError",
    "generate_keyset",
    "id_number_check_character",
    "mask_id_number",
    "mask_name",
    "mask_phone",
    "normalize_lookup_value",
    "valid_id_number",
    "valid_mobile",
]
