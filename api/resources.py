"""Everything a process holds open: pools, clients, caches. Built from settings only."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import asyncpg
from redis.asyncio import Redis

from core.cache import VersionedCache
from core.clients.provincial import ProvincialClient
from core.db import create_pool
from core.http import create_http_session
from core.redis import create_redis
from core.settings import Settings


@dataclass(frozen=True, slots=True)
class Resources:
    settings: Settings
    db_pool: asyncpg.Pool
    redis: Redis
    http: aiohttp.ClientSession
    provincial: ProvincialClient
    catalog_cache: VersionedCache


@contextlib.asynccontextmanager
async def open_resources(settings: Settings, *, name: str = "handheld") -> AsyncIterator[Resources]:
    db_pool = await create_pool(settings.database, application_name=name)
    redis = create_redis(settings.redis)
    http = create_http_session(settings.http)
    catalog_cache = VersionedCache(redis, "catalog", settings.catalog.cache_entries)
    await catalog_cache.start()
    try:
        yield Resources(
            settings=settings,
            db_pool=db_pool,
            redis=redis,
            http=http,
            provincial=ProvincialClient(http, settings.provincial, settings.http),
            catalog_cache=catalog_cache,
        )
    finally:
        await catalog_cache.stop()
        await http.close()
        await redis.aclose()
        await db_pool.close()
