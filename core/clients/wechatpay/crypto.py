"""WeChat Pay v3 cryptography, pure functions on ``cryptography``: the merchant's request
signature, the check of WeChat Pay's signature, AEAD_AES_256_GCM resources, key loading, and the
digest check of a downloaded bill.

Protocol (pay.weixin.qq.com, "签名认证", "验证签名", "回调报文解密", "下载账单"):

- Every request carries ``Authorization: WECHATPAY2-SHA256-RSA2048 mchid=…,nonce_str=…,
  signature=…,timestamp=…,serial_no=…``; the signature is SHA256withRSA (PKCS#1 v1.5) by the
  merchant key over ``METHOD\\nPATH?QUERY\\nTIMESTAMP\\nNONCE\\nBODY\\n``.
- Every successful answer and every notification is signed by WeChat Pay over
  ``TIMESTAMP\\nNONCE\\nBODY\\n``, with the ``Wechatpay-*`` headers naming the key and the time.
- Notification resources and platform certificates are AEAD_AES_256_GCM with the APIv3 key.
- The bill download is not signed: its SHA1 is given by the (signed) bill request.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from core.clients.wechatpay.errors import (
    WechatPayBillHashMismatch,
    WechatPayConfigError,
    WechatPayError,
    WechatPaySignatureInvalid,
)
from core.clients.wechatpay.schemas import EncryptedResource

SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"
AEAD_ALGORITHM = "AEAD_AES_256_GCM"


def rsa_sign(private_key: rsa.RSAPrivateKey, message: str) -> str:
    """SHA256withRSA (PKCS#1 v1.5), base64."""
    signature = private_key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode()


def rsa_verify(public_key: rsa.RSAPublicKey, message: bytes, signature_b64: str) -> bool:
    try:
        signature = base64.b64decode(signature_b64, validate=True)
        public_key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def new_nonce() -> str:
    return secrets.token_hex(16).upper()


def authorization(
    private_key: rsa.RSAPrivateKey,
    *,
    mchid: str,
    serial_no: str,
    method: str,
    path_and_query: str,
    body: str,
    timestamp: int,
    nonce: str,
) -> str:
    """The ``Authorization`` header of a request (signature over
    ``METHOD\\nPATH?QUERY\\nTIMESTAMP\\nNONCE\\nBODY\\n``)."""
    message = f"{method}\n{path_and_query}\n{timestamp}\n{nonce}\n{body}\n"
    signature = rsa_sign(private_key, message)
    return (
        f'{SIGNATURE_TYPE} mchid="{mchid}",nonce_str="{nonce}",'
        f'signature="{signature}",timestamp="{timestamp}",'
        f'serial_no="{serial_no}"'
    )


def signed_parts(headers: Mapping[str, str], window_s: float) -> tuple[str, str, str, str]:
    """Timestamp, nonce, serial and signature of WeChat Pay's signed headers (names
    case-insensitive), the timestamp checked against ``window_s``."""
    lower = {key.lower(): value for key, value in headers.items()}
    signature = lower.get("wechatpay-signature", "")
    timestamp = lower.get("wechatpay-timestamp", "")
    nonce = lower.get("wechatpay-nonce", "")
    serial = lower.get("wechatpay-serial", "")
    signature_type = lower.get("wechatpay-signature-type", SIGNATURE_TYPE)
    if not (signature and timestamp and nonce and serial):
        raise WechatPaySignatureInvalid("signature headers missing")
    if signature_type != SIGNATURE_TYPE:
        raise WechatPaySignatureInvalid(f"unsupported signature type {signature_type!r}")
    if not timestamp.isdigit():
        raise WechatPaySignatureInvalid("timestamp is not a number")
    if abs(time.time() - int(timestamp)) > window_s:
        raise WechatPaySignatureInvalid("timestamp outside the accepted window")
    return timestamp, nonce, serial, signature


def check_signature(
    key: rsa.RSAPublicKey, timestamp: str, nonce: str, body: bytes, signature: str
) -> None:
    """WeChat Pay's signature over ``TIMESTAMP\\nNONCE\\nBODY\\n``; raises
    ``WechatPaySignatureInvalid``."""
    message = timestamp.encode() + b"\n" + nonce.encode() + b"\n" + body + b"\n"
    if not rsa_verify(key, message, signature):
        raise WechatPaySignatureInvalid("signature does not verify")


def aead_decrypt(key: bytes, resource: EncryptedResource) -> bytes:
    """AEAD_AES_256_GCM: the ciphertext is base64 of ciphertext‖tag; nonce and associated data
    are used as given (UTF-8)."""
    if resource.algorithm != AEAD_ALGORITHM:
        raise WechatPaySignatureInvalid(f"unsupported algorithm {resource.algorithm!r}")
    try:
        data = base64.b64decode(resource.ciphertext, validate=True)
        return AESGCM(key).decrypt(
            resource.nonce.encode(), data, resource.associated_data.encode() or None
        )
    except (InvalidTag, binascii.Error, ValueError) as exc:
        raise WechatPaySignatureInvalid("resource does not decrypt with the APIv3 key") from exc


def verified_bill(payload: bytes, hash_value: str, *, gzipped: bool = False) -> bytes:
    """The bill file (decompressed when ``gzipped``) if its SHA1 is ``hash_value``; raises
    ``WechatPayBillHashMismatch`` otherwise."""
    data = payload
    if gzipped:
        try:
            data = gzip.decompress(payload)
        except (OSError, EOFError) as exc:
            raise WechatPayError(None, "BAD_RESPONSE", f"bill not gzip: {exc}") from exc
    actual = hashlib.sha1(data, usedforsecurity=False).hexdigest()
    if not hmac.compare_digest(actual, hash_value.strip().lower()):
        raise WechatPayBillHashMismatch(hash_value, actual)
    return data


def load_private_key(path: Path | None) -> rsa.RSAPrivateKey:
    """The merchant's API private key (PEM); ``WechatPayConfigError`` when unusable."""
    if path is None:
        raise WechatPayConfigError("wechatpay.merchant_private_key_path is not set")
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise WechatPayConfigError(f"merchant private key {path}: {exc}") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise WechatPayConfigError(f"merchant private key {path}: not an RSA key")
    return key


def load_public_key(path: Path | None) -> rsa.RSAPublicKey:
    """WeChat Pay's public key (PEM key or certificate); ``WechatPayConfigError`` when
    unusable."""
    if path is None:
        raise WechatPayConfigError("wechatpay.public_key_path is not set (public_key_id is)")
    try:
        data = path.read_bytes()
        key: object
        if b"CERTIFICATE" in data:
            key = x509.load_pem_x509_certificate(data).public_key()
        else:
            key = serialization.load_pem_public_key(data)
    except (OSError, ValueError, TypeError) as exc:
        raise WechatPayConfigError(f"WeChat Pay public key {path}: {exc}") from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise WechatPayConfigError(f"WeChat Pay public key {path}: not an RSA key")
    return key


def serial_number(serial: str) -> int | None:
    """A platform certificate's hex serial as a number; None for anything else (a public key
    id)."""
    try:
        return int(serial, 16)
    except ValueError:
        return None


__all__ = [
    "AEAD_ALGORITHM",
    "SIGNATURE_TYPE",
    "aead_decrypt",
    "authorization",
    "check_signature",
    "load_private_key",
    "load_public_key",
    "new_nonce",
    "rsa_sign",
    "rsa_verify",
    "serial_number",
    "signed_parts",
    "verified_bill",
]
