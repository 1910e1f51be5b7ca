"""WeChat's message encryption (消息加解密, 安全模式) and push signatures, written on ``cryptography``.

- key = base64decode(EncodingAESKey + "=") (32 bytes), IV = key[:16], AES-256-CBC;
- plaintext = random(16) + len(msg) as 4 bytes big-endian + msg + appid, PKCS#7-padded to a
  multiple of 32 bytes (1..32 bytes of padding);
- ``Encrypt`` = base64(ciphertext);
- ``msg_signature`` = sha1 hex of the sorted concatenation of token, timestamp, nonce, Encrypt;
  ``signature`` = the same over token, timestamp, nonce.

Deliberately independent of wechatpy: tests use wechatpy as a peer to check this module.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK = 32
DEFAULT_PUSH_TOKEN = "devpushtoken"
# A fixed development EncodingAESKey (43 characters of base64 without the trailing "=").
DEFAULT_PUSH_AES_KEY = "c2FuZGJveC13ZWNoYXQtcHVzaC1kZXYta2V5LTAwMDE"


def aes_key(encoding_aes_key: str) -> bytes:
    """The 32-byte AES key of a 43-character EncodingAESKey; ValueError when it is not one."""
    if len(encoding_aes_key) != 43:
        raise ValueError("EncodingAESKey must be 43 characters")
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except binascii.Error as exc:
        raise ValueError(f"EncodingAESKey is not base64: {exc}") from exc
    if len(key) != 32:
        raise ValueError("EncodingAESKey must decode to 32 bytes")
    return key


def sha1_signature(*parts: str) -> str:
    """WeChat's signature: sha1 hex of the parts sorted and joined."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def encrypt(key: bytes, appid: str, msg: bytes) -> str:
    """``Encrypt`` for ``msg`` (the event, JSON or XML bytes)."""
    plain = secrets.token_bytes(16) + struct.pack(">I", len(msg)) + msg + appid.encode()
    pad = BLOCK - len(plain) % BLOCK
    plain += bytes([pad]) * pad
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()


def decrypt(key: bytes, encrypted: str) -> tuple[bytes, str]:
    """(msg, appid) of an ``Encrypt`` value; ValueError when it is malformed."""
    data = base64.b64decode(encrypted, validate=True)
    if not data or len(data) % 16:
        raise ValueError("ciphertext is not a whole number of AES blocks")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = decryptor.update(data) + decryptor.finalize()
    pad = plain[-1]
    if not 1 <= pad <= BLOCK or plain[-pad:] != bytes([pad]) * pad:
        raise ValueError("bad PKCS#7 padding")
    plain = plain[:-pad]
    (length,) = struct.unpack(">I", plain[16:20])
    if 20 + length > len(plain):
        raise ValueError("message length exceeds the plaintext")
    return plain[20 : 20 + length], plain[20 + length :].decode()
