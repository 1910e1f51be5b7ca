"""Six-digit codes sent by SMS and typed back: kept in Redis as a hash of the code only,
expiring, a bounded number of attempts, and single use (the first correct answer deletes it, so
a concurrent second one fails). Used by the SMS login and by a citizen's confirmation of a hall
worker's 帮办."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from redis.asyncio import Redis


def _digest(key: str, code: str) -> bytes:
    # Bound to its key: a stored hash is worth nothing for another phone or purpose.
    return hashlib.sha256(f"{key}\x00{code}".encode()).digest()


def _as_bytes(value: bytes | str) -> bytes:
    return value if isinstance(value, bytes) else value.encode()


class OneTimeCodes:
    def __init__(self, redis: Redis, *, ttl_s: int, attempts: int) -> None:
        self._redis = redis
        self.ttl_s = ttl_s
        self._attempts = attempts

    async def issue(self, key: str) -> str:
        """A new code for ``key``, replacing any earlier one (which then stops working)."""
        code = f"{secrets.randbelow(10**6):06d}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(key)
            pipe.hset(key, mapping={"code": _digest(key, code), "attempts": 0})
            pipe.expire(key, self.ttl_s)
            await pipe.execute()
        return code

    async def forget(self, key: str) -> None:
        """Drops the code (it could not be delivered)."""
        await self._redis.delete(key)

    async def redeem(self, key: str, code: str) -> bool:
        """True once for the right code within its life and its attempts; False otherwise
        (unknown, expired, wrong, too many attempts, already used)."""
        stored = await self._redis.hget(key, "code")
        if stored is None:
            return False
        attempts = await self._redis.hincrby(key, "attempts", 1)
        if attempts > self._attempts:
            await self._redis.delete(key)
            return False
        if not hmac.compare_digest(_as_bytes(stored), _digest(key, code)):
            return False
        # Single use: of two concurrent right answers only the one that deletes it wins.
        return bool(await self._redis.delete(key))
