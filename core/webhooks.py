"""Verifying signed callbacks from outside systems (HMAC over timestamp and body)."""

from __future__ import annotations

import hashlib
import hmac
import time


class SignatureInvalid(Exception):
    pass


def verify_hmac_signature(
    *,
    secret: str,
    timestamp: str | None,
    body: bytes,
    signature: str | None,
    window_s: int = 300,
    now: float | None = None,
) -> None:
    """``signature`` must be hex HMAC-SHA256(secret, timestamp + "." + body), and ``timestamp``
    (unix seconds) within ``window_s`` of now, so a captured callback cannot be replayed later.
    An empty secret is a misconfiguration, never "accept everything"."""
    if not secret:
        raise SignatureInvalid("no callback secret configured")
    if not timestamp or not signature or not timestamp.isdigit():
        raise SignatureInvalid("missing timestamp or signature")
    if abs((now if now is not None else time.time()) - int(timestamp)) > window_s:
        raise SignatureInvalid("timestamp outside the window")
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    # Bytes: compare_digest raises on str with non-ASCII characters.
    if not hmac.compare_digest(expected.hexdigest().encode(), signature.strip().lower().encode()):
        raise SignatureInvalid("signature mismatch")
