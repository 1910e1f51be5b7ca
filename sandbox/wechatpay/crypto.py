"""WeChat Pay APIv3 cryptography, written from WeChat Pay's public documentation.

- Request signatures: ``Authorization: WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",
  signature="…",timestamp="…",serial_no="…"``; SHA256withRSA (PKCS#1 v1.5) over
  ``METHOD\\nPATH?QUERY\\nTIMESTAMP\\nNONCE\\nBODY\\n`` with the merchant's API certificate key.
- Response and notification signatures: SHA256withRSA over ``TIMESTAMP\\nNONCE\\nBODY\\n``
  with the platform key, sent as ``Wechatpay-Timestamp/-Nonce/-Signature/-Serial``.
- Resource encryption (notifications, ``/v3/certificates``): AEAD_AES_256_GCM with the
  merchant's 32-byte APIv3 key; the nonce and associated data are sent as text and used as
  their UTF-8 bytes; the ciphertext is base64 of ciphertext + 16-byte tag.
"""

from __future__ import annotations

import base64
import re
import secrets
import string
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SCHEME = "WECHATPAY2-SHA256-RSA2048"
SIGNATURE_TYPE = SCHEME
_AUTH_PARAM = re.compile(r'\s*([a-z_]+)="([^"]*)"\s*')
_AUTH_FIELDS = ("mchid", "nonce_str", "signature", "timestamp", "serial_no")
_NONCE_ALPHABET = string.ascii_uppercase + string.digits


def nonce(length: int = 32) -> str:
    return "".join(secrets.choice(_NONCE_ALPHABET) for _ in range(length))


def generate_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key: rsa.RSAPrivateKey) -> str:
    """PKCS#8 PEM, the format of WeChat's ``apiclient_key.pem``."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def public_pem(key: rsa.RSAPublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def load_private_key(pem: str | bytes) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(
        pem.encode() if isinstance(pem, str) else pem, password=None
    )
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("not an RSA private key")
    return key


def load_public_key(pem: str | bytes) -> rsa.RSAPublicKey:
    key = serialization.load_pem_public_key(pem.encode() if isinstance(pem, str) else pem)
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA public key")
    return key


def rsa_sign(key: rsa.RSAPrivateKey, message: str) -> str:
    signature = key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode()


def rsa_verify(key: rsa.RSAPublicKey, message: str, signature: str) -> bool:
    try:
        raw = base64.b64decode(signature, validate=True)
        key.verify(raw, message.encode(), padding.PKCS1v15(), hashes.SHA256())
    except (ValueError, InvalidSignature):
        return False
    return True


def request_message(method: str, path: str, timestamp: str, nonce_str: str, body: str) -> str:
    return f"{method}\n{path}\n{timestamp}\n{nonce_str}\n{body}\n"


def response_message(timestamp: str, nonce_str: str, body: str) -> str:
    return f"{timestamp}\n{nonce_str}\n{body}\n"


@dataclass(frozen=True)
class Authorization:
    mchid: str
    nonce_str: str
    signature: str
    timestamp: str
    serial_no: str


def parse_authorization(header: str | None) -> Authorization | None:
    """The fields of a ``WECHATPAY2-SHA256-RSA2048`` Authorization header; None if malformed."""
    if not header:
        return None
    scheme, _, rest = header.strip().partition(" ")
    if scheme != SCHEME or not rest:
        return None
    fields: dict[str, str] = {}
    for part in rest.split(","):
        match = _AUTH_PARAM.fullmatch(part)
        if match is None or match.group(1) in fields:
            return None
        fields[match.group(1)] = match.group(2)
    if any(not fields.get(name) for name in _AUTH_FIELDS):
        return None
    return Authorization(**{name: fields[name] for name in _AUTH_FIELDS})


def aes_gcm_encrypt(apiv3_key: str, plaintext: bytes, associated_data: str) -> dict[str, str]:
    """``{"algorithm", "ciphertext", "associated_data", "nonce"}`` as WeChat sends it."""
    iv = nonce(12)
    sealed = AESGCM(apiv3_key.encode()).encrypt(iv.encode(), plaintext, associated_data.encode())
    return {
        "algorithm": "AEAD_AES_256_GCM",
        "ciphertext": base64.b64encode(sealed).decode(),
        "associated_data": associated_data,
        "nonce": iv,
    }


def tamper_signature(signature: str) -> str:
    """The same signature with one bit flipped: well-formed base64, never valid."""
    raw = bytearray(base64.b64decode(signature))
    raw[len(raw) // 2] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()
