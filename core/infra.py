"""What every domain is built from: a process's pools, clients, keys and clock.

The composition root (``api.composition``) opens one ``Infrastructure`` per process and hands it
to each domain's ``deps.build``; a domain takes from it what it needs and builds its own clients.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
from redis.asyncio import Redis

from core.clock import SYSTEM_CLOCK, Clock
from core.db import Pool, create_pool
from core.filecrypt import FileCipher
from core.http import create_http_session
from core.pii import PiiCipher
from core.redis import create_redis
from core.replica import ReplicaReads
from core.settings import Settings
from core.storage import ObjectStorage

log = logging.getLogger(__name__)


class MissingSecrets(RuntimeError):
    pass


@dataclass(frozen=True, slots=True)
class Infrastructure:
    settings: Settings
    pool: Pool
    redis: Redis
    http: aiohttp.ClientSession
    # Personal data at rest: field encryption and blind indexes (core.pii).
    pii: PiiCipher
    # Materials and licence files, encrypted with a data key per object (core.filecrypt).
    storage: ObjectStorage
    # Reads that may lag (catalogue pages, staff figures): the replica when there is one.
    replica_reads: ReplicaReads
    # Where services read the time (business days are China's days of it); tests fix it.
    clock: Clock = SYSTEM_CLOCK


def _pii(settings: Settings) -> PiiCipher:
    if not settings.pii.keys or not settings.pii.lookup_key or settings.auth.keys_dir is None:
        raise MissingSecrets(
            "set HANDHELD_PII_KEYS, HANDHELD_PII_CURRENT_KEY_ID, HANDHELD_PII_LOOKUP_KEY and "
            "HANDHELD_AUTH_KEYS_DIR (handheld dev generates them under its data directory)"
        )
    return PiiCipher.from_settings(
        settings.pii.keys.reveal(), settings.pii.current_key_id, settings.pii.lookup_key.reveal()
    )


def _storage(settings: Settings, pii: PiiCipher) -> ObjectStorage:
    secret = settings.storage.link_secret.reveal() or settings.pii.lookup_key.reveal()
    # Files at rest: a data key per object, wrapped by the personal-data keyset.
    files = FileCipher(pii, settings.storage.file_cipher)
    if settings.storage.backend == "s3":
        s3 = settings.s3
        return ObjectStorage.s3(
            s3.endpoint_url,
            s3.bucket,
            s3.access_key.reveal(),
            s3.secret_key.reveal(),
            signing_secret=secret,
            files=files,
        )
    root = settings.storage.local_root or settings.data_dir / "materials"
    return ObjectStorage.local(root, signing_secret=secret, files=files)


@contextlib.asynccontextmanager
async def open_infrastructure(
    settings: Settings, *, name: str, clock: Clock = SYSTEM_CLOCK, redis: Redis | None = None
) -> AsyncIterator[Infrastructure]:
    """``redis``: a client the caller owns and closes (the API shares its client with Litestar
    Channels, whose backend must exist before the lifespan opens this); else one is opened here."""
    pii = _pii(settings)
    pool = await create_pool(settings.database, application_name=name)
    replica = (
        await create_pool(settings.database, application_name=name, replica=True)
        if settings.database.replica_url
        else None
    )
    owns_redis = redis is None
    redis = create_redis(settings.redis) if redis is None else redis
    http = create_http_session(settings.http)
    try:
        yield Infrastructure(
            settings=settings,
            pool=pool,
            redis=redis,
            http=http,
            pii=pii,
            storage=_storage(settings, pii),
            replica_reads=ReplicaReads(pool, replica, redis),
            clock=clock,
        )
    finally:
        await http.close()
        if owns_redis:
            await redis.aclose()
        if replica is not None:
            await close_pool(replica)
        await close_pool(pool)


async def close_pool(pool: Pool, grace_s: float = 10.0) -> None:
    """Close gracefully, but never hang a stopping process: a connection still held after
    ``grace_s`` (a stuck query, a leak) is cut, and said in the log."""
    closing = asyncio.ensure_future(pool.close())
    done, _ = await asyncio.wait({closing}, timeout=grace_s)
    if not done:
        log.warning("database pool did not close in time; terminating its connections")
        pool.terminate()
        closing.cancel()
        await asyncio.wait({closing}, timeout=1.0)


__all__ = ["Infrastructure", "MissingSecrets", "open_infrastructure"]
