"""Verifying signed callbacks from outside systems (HMAC over timestamp and body)."""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Mapping
from typing import Any, TypeVar

import msgspec

log = logging.getLogger(__name__)
T = TypeVar("T")


class SignatureInvalid(Exception):
    pass


class EventMalformed(Exception):
    """A callback whose signature holds but whose body is not the event its sender promises."""


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


def signed_event(
    secret: str, headers: Mapping[str, str], body: bytes, *, prefix: str, event_type: type[T]
) -> tuple[T, dict[str, Any]]:
    """A signed callback as it arrives: the signature (``{prefix}-timestamp`` and
    ``{prefix}-signature`` headers) checked on the raw body, then the body decoded as
    ``event_type`` and as the JSON object stored in the callback inbox. Raises
    ``SignatureInvalid`` (logged: forged or stale) or ``EventMalformed``."""
    try:
        verify_hmac_signature(
            secret=secret,
            timestamp=headers.get(f"{prefix}-timestamp"),
            body=body,
            signature=headers.get(f"{prefix}-signature"),
        )
    except SignatureInvalid as exc:
        log.warning("signed callback rejected", extra={"sender": prefix, "reason": str(exc)})
        raise
    try:
        return msgspec.json.decode(body, type=event_type), msgspec.json.decode(
            body, type=dict[str, Any]
        )
    except msgspec.DecodeError as exc:  # ValidationError included
        raise EventMalformed(str(exc)) from exc
