"""How the push service of a process is built and provided."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from limits.aio.strategies import MovingWindowRateLimiter
from litestar.channels.backends.redis import RedisChannelsPubSubBackend

from core.clients.apppush import AppPushClient
from core.clients.sms import SmsClient
from core.clients.wechat import WechatClient
from core.di import from_state
from core.infra import Infrastructure
from core.redis import limiter_storage
from push.service import PushService
from push.service.recipients import Applicants, Recipients

KEY = "push"
DEPENDENCIES = from_state(KEY)


@contextlib.asynccontextmanager
async def build(
    infra: Infrastructure,
    *,
    wechat: WechatClient,
    sms: SmsClient,
    recipients: Recipients,
    applicants: Applicants,
) -> AsyncIterator[PushService]:
    """``recipients``: the identity domain's citizens (``IdentityService``); ``applicants``:
    who applied for an item (the declarations domain's service)."""
    settings = infra.settings
    yield PushService(
        wechat=wechat,
        sms=sms,
        apppush=AppPushClient(infra.http, settings.apppush, settings.http),
        settings=settings.wechat,
        pace=settings.push,
        limiter=MovingWindowRateLimiter(limiter_storage(settings.redis)),
        sms_settings=settings.sms,
        live=RedisChannelsPubSubBackend(redis=infra.redis),
        recipients=recipients,
        applicants=applicants,
    )
