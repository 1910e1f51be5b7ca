"""Everything a process holds open: pools, clients, caches. Built from settings only."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
from limits.aio.strategies import MovingWindowRateLimiter
from litestar.channels.backends.redis import RedisChannelsPubSubBackend
from redis.asyncio import Redis

from api.calendars.service import Calendars
from api.declarations import service as declarations_service
from api.declarations.service import DeclarationsService
from api.identity.service import AccessTokens, IdentityService
from api.licences import service as licences_service
from api.reviews import service as reviews_service
from core import idempotency
from core.cache import VersionedCache
from core.clients.apppush import AppPushClient
from core.clients.provincial import ProvincialCasesClient, ProvincialClient
from core.clients.provincial_identity import ProvincialIdentityClient
from core.clients.sms import SmsClient
from core.clients.wechat import WechatClient
from core.clients.wechatpay import WechatPayClient
from core.clock import SYSTEM_CLOCK, Clock
from core.db import Pool, create_pool
from core.http import create_http_session
from core.pii import PiiCipher
from core.redis import create_redis, limiter_storage
from core.revocation import RevocationList
from core.settings import Settings
from core.signing import SigningKeys
from core.storage import ObjectStorage
from payments import service as payments_service
from payments.service import PaymentsService
from push import service as push_service
from push.tasks import PushContext


@dataclass(frozen=True, slots=True)
class Resources:
    settings: Settings
    db_pool: Pool
    redis: Redis
    http: aiohttp.ClientSession
    provincial: ProvincialClient
    catalog_cache: VersionedCache
    # The official working-day calendar, kept current from the database (api.calendars).
    calendars: Calendars
    identity: IdentityService
    access_tokens: AccessTokens
    declarations: DeclarationsService
    push: PushContext
    payments: PaymentsService
    # Where services read the time (business days are China's days of it); tests fix it.
    clock: Clock = SYSTEM_CLOCK


class MissingSecrets(RuntimeError):
    pass


def _identity(
    settings: Settings,
    pool: Pool,
    redis: Redis,
    http: aiohttp.ClientSession,
    revocations: RevocationList,
) -> IdentityService:
    if not settings.pii.keys or not settings.pii.lookup_key or settings.auth.keys_dir is None:
        raise MissingSecrets(
            "set HANDHELD_PII_KEYS, HANDHELD_PII_CURRENT_KEY_ID, HANDHELD_PII_LOOKUP_KEY and "
            "HANDHELD_AUTH_KEYS_DIR (handheld dev generates them under its data directory)"
        )
    storage = limiter_storage(settings.redis)
    pii = PiiCipher.from_settings(
        settings.pii.keys.reveal(), settings.pii.current_key_id, settings.pii.lookup_key.reveal()
    )
    return IdentityService(
        settings=settings.auth,
        sms_settings=settings.sms,
        pool=pool,
        pii=pii,
        signing=SigningKeys.load(settings.auth.keys_dir),
        redis=redis,
        revocations=revocations,
        limiter=MovingWindowRateLimiter(storage),
        wechat=WechatClient(http, redis, settings.wechat, settings.http),
        sso=ProvincialIdentityClient(http, settings.provincial, settings.http),
        sms=SmsClient(http, settings.sms, settings.http),
        # One person, one account: every domain that keys rows by citizen moves them when
        # identity joins two accounts (tests/api/identity/test_one_account.py finds every
        # citizen-keyed column in the schema and checks none is left behind).
        absorbers=(
            declarations_service.absorb_citizen,
            functools.partial(licences_service.absorb_citizen, pii=pii),
            reviews_service.absorb_citizen,
            push_service.absorb_citizen,
            payments_service.absorb_citizen,
            idempotency.absorb_citizen,
        ),
    )


def _wechatpay(settings: Settings, http: aiohttp.ClientSession) -> WechatPayClient | None:
    if not settings.wechatpay.base_url:
        return None
    return WechatPayClient(http, settings.wechatpay, settings.http)


def _storage(settings: Settings) -> ObjectStorage:
    secret = settings.storage.link_secret.reveal() or settings.pii.lookup_key.reveal()
    if settings.storage.backend == "s3":
        return ObjectStorage.s3(
            settings.s3.endpoint_url, settings.s3.bucket, settings.s3.access_key.reveal(),
            settings.s3.secret_key.reveal(), signing_secret=secret,
        )  # fmt: skip
    root = settings.storage.local_root or settings.data_dir / "materials"
    return ObjectStorage.local(root, signing_secret=secret)


@contextlib.asynccontextmanager
async def open_resources(
    settings: Settings, *, name: str = "handheld", clock: Clock = SYSTEM_CLOCK
) -> AsyncIterator[Resources]:
    db_pool = await create_pool(settings.database, application_name=name)
    redis = create_redis(settings.redis)
    http = create_http_session(settings.http)
    catalog_cache = VersionedCache(redis, "catalog", settings.catalog.cache_entries)
    revocations = RevocationList(redis, settings.auth.access_ttl_s)
    calendars = Calendars(db_pool)
    await catalog_cache.start()
    await revocations.start()
    await calendars.start()
    identity = _identity(settings, db_pool, redis, http, revocations)
    cases = ProvincialCasesClient(http, settings.provincial, settings.http)
    declarations = DeclarationsService(
        pool=db_pool,
        pii=identity.pii,
        storage=_storage(settings),
        cases=cases,
        settings=settings.provincial,
        calendars=calendars,
        clock=clock,
    )
    try:
        yield Resources(
            settings=settings,
            db_pool=db_pool,
            redis=redis,
            http=http,
            provincial=ProvincialClient(http, settings.provincial, settings.http),
            catalog_cache=catalog_cache,
            calendars=calendars,
            identity=identity,
            access_tokens=AccessTokens(identity),
            push=PushContext(
                pool=db_pool,
                pii=identity.pii,
                wechat=WechatClient(http, redis, settings.wechat, settings.http),
                sms=SmsClient(http, settings.sms, settings.http),
                apppush=AppPushClient(http, settings.apppush, settings.http),
                settings=settings.wechat,
                live=RedisChannelsPubSubBackend(redis=redis),
            ),
            declarations=declarations,
            payments=PaymentsService(
                pool=db_pool,
                client=_wechatpay(settings, http),
                platform=cases,
                settings=settings.wechatpay,
                on_paid=declarations.payment_received,
            ),
            clock=clock,
        )
    finally:
        await calendars.stop()
        await revocations.stop()
        await catalog_cache.stop()
        await http.close()
        await redis.aclose()
        await db_pool.close()
