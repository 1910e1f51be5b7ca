"""Staff passwords: argon2id hashes and the strength rule (docs/domain.md §9: strong passwords).

Parameters are explicit rather than argon2-cffi's defaults so that a library upgrade never
changes them behind our back (``needs_rehash`` then tells us which stored hashes to upgrade
at the next successful login):

- argon2id: the RFC 9106 recommendation — resists GPU cracking (memory-hard) and side
  channels (data-independent first pass).
- memory 64 MiB, time cost 3: RFC 9106's second recommended option for memory-constrained
  systems is 64 MiB with t=3; about 50-100 ms per hash on a server core. Staff log in rarely,
  so the cost is cheap for us and expensive for whoever cracks a leaked table.
- parallelism 2: API containers get one or two cores; more lanes would only queue.

Hashing blocks the thread for that long and holds 64 MiB: call these from async code through
a thread (``asyncio.to_thread``) and keep the number of concurrent logins bounded (the login
rate limit does that).
"""

from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

TIME_COST = 3
MEMORY_COST_KIB = 64 * 1024
PARALLELISM = 2
MIN_LENGTH = 12
# Argon2 accepts anything, but hashing a megabyte "password" on request is a free DoS.
MAX_LENGTH = 256

_hasher = PasswordHasher(
    time_cost=TIME_COST,
    memory_cost=MEMORY_COST_KIB,
    parallelism=PARALLELISM,
    hash_len=32,
    salt_len=16,
    type=Type.ID,
)
_dummy_hash: str | None = None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True on a match; False on a mismatch or an unreadable hash — never raises for either."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        # VerifyMismatchError is a VerificationError; InvalidHashError covers a corrupt or
        # foreign stored value, which must deny, not crash the login.
        return False


def dummy_verify(password: str) -> bool:
    """Spend the time of a real verification and return False.

    For a login naming an unknown account: answering faster than for a known one would tell
    an attacker which staff accounts exist.
    """
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = hash_password("dummy password that matches nothing")
    verify_password(_dummy_hash, password)
    return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with other parameters (or is unreadable)."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def password_problems(password: str, *, username: str | None = None) -> list[str]:
    """Stable codes for what makes a staff password too weak; empty when it is acceptable.

    Codes: ``TOO_SHORT`` (< 12 characters), ``TOO_LONG`` (> 256), ``TOO_FEW_CLASSES`` (fewer
    than 3 of lower-case, upper-case, digits, other characters), ``SINGLE_CHARACTER`` (one
    character repeated), ``CONTAINS_USERNAME``. Length counts characters, not bytes.
    """
    problems: list[str] = []
    if len(password) < MIN_LENGTH:
        problems.append("TOO_SHORT")
    if len(password) > MAX_LENGTH:
        problems.append("TOO_LONG")
    classes = (
        any(c.islower() for c in password)
        + any(c.isupper() for c in password)
        + any(c.isdigit() for c in password)
        + any(not (c.islower() or c.isupper() or c.isdigit()) for c in password)
    )
    if classes < 3:
        problems.append("TOO_FEW_CLASSES")
    if password and len(set(password)) == 1:
        problems.append("SINGLE_CHARACTER")
    if username and len(username) >= 3 and username.casefold() in password.casefold():
        problems.append("CONTAINS_USERNAME")
    return problems


__all__ = [
    "MIN_LENGTH",
    "dummy_verify",
    "hash_password",
    "needs_rehash",
    "password_problems",
    "verify_password",
]
