"""The Redis/Valkey client: cache, rate limits, revocation lists, live channels."""

from __future__ import annotations

from redis.asyncio import Redis

from core.settings import RedisSettings


def create_redis(settings: RedisSettings) -> Redis:
    return Redis.from_url(
        settings.url.reveal(),
        decode_responses=False,
        socket_connect_timeout=3,
        socket_timeout=5,
        health_check_interval=30,
    )


__all__ = ["Redis", "create_redis"]
