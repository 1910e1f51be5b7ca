"""Staff second factor: TOTP (RFC 6238; SHA-1, 30 s steps, 6 digits — what every
authenticator app implements), with replay protection.

The caller stores, per account, the time step last accepted and passes it back: a code is
accepted at most once, and never one older than the last accepted. Without that, a code
seen over a shoulder or phished stays usable for its whole window.
"""

from __future__ import annotations

import hmac
import time

import pyotp

STEP_S = 30
DIGITS = 6
# One step either side absorbs clock drift on the phone and the time a person takes to type.
WINDOW = 1
DEFAULT_ISSUER = "掌上办运营"


def new_secret() -> str:
    """A random base32 secret of 160 bits (the HMAC-SHA1 key size RFC 4226 recommends)."""
    return pyotp.random_base32(length=32)


def provisioning_uri(secret: str, account: str, issuer: str = DEFAULT_ISSUER) -> str:
    """The ``otpauth://`` URI an authenticator app scans from a QR code."""
    return _totp(secret).provisioning_uri(name=account, issuer_name=issuer)


def time_step(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // STEP_S)


def verify(
    secret: str, code: str, *, last_used_step: int | None, now: float | None = None
) -> int | None:
    """The time step ``code`` belongs to (current ±1, later than ``last_used_step``), or None.

    Store the returned step as the account's new ``last_used_step``.
    """
    code = code.strip().replace(" ", "")
    if len(code) != DIGITS or not code.isascii() or not code.isdigit():
        return None
    totp = _totp(secret)
    current = time_step(now)
    accepted: int | None = None
    # Every candidate is computed and compared in constant time, so the response time does
    # not tell which step (if any) came close.
    for step in range(current - WINDOW, current + WINDOW + 1):
        matches = hmac.compare_digest(totp.generate_otp(step).encode(), code.encode())
        fresh = last_used_step is None or step > last_used_step
        if matches and fresh and accepted is None:
            accepted = step
    return accepted


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_S)


__all__ = ["DEFAULT_ISSUER", "new_secret", "provisioning_uri", "time_step", "verify"]
