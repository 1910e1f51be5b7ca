"""The Redis/Valkey client: cache, rate limits, revocation lists, live channels."""

from __future__ import annotations

from typing import Any

from limits.aio.storage import RedisStorage
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff

from core.settings import RedisSettings


def connection_options(settings: RedisSettings) -> dict[str, Any]:
    """Short timeouts and a quick retry (redis-py's default backs off for seconds): with Redis
    down a request fails within about a second, and is answered 503."""
    return {
        "socket_connect_timeout": settings.connect_timeout,
        "socket_timeout": settings.socket_timeout,
        "retry": Retry(ExponentialWithJitterBackoff(base=0.05, cap=0.2), settings.retries),
    }


def create_redis(settings: RedisSettings) -> Redis:
    return Redis.from_url(
        settings.url.reveal(),
        decode_responses=False,
        health_check_interval=30,
        **connection_options(settings),
    )


def limiter_storage(settings: RedisSettings) -> RedisStorage:
    """Rate-limit counters (the ``limits`` library keeps its own client), same timeouts."""
    return RedisStorage(
        settings.url.reveal(), implementation="redispy", **connection_options(settings)
    )


__all__ = ["Redis", "connection_options", "create_redis", "limiter_storage"]
