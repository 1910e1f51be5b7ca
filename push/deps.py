"""How the push service of a process is built and provided."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from litestar.channels.backends.redis import RedisChannelsPubSubBackend

from core.clients.apppush import AppPushClient
from core.clients.sms import SmsClient
from core.clients.wechat import WechatClient
from core.di import from_state
from core.infra import Infrastructure
from push.tasks import PushContext

KEY = "push"
DEPENDENCIES = from_state(KEY)


@contextlib.asynccontextmanager
async def build(
    infra: Infrastructure, *, wechat: WechatClient, sms: SmsClient
) -> AsyncIterator[PushContext]:
    settings = infra.settings
    yield PushContext(
        pool=infra.pool,
        pii=infra.pii,
        wechat=wechat,
        sms=sms,
        apppush=AppPushClient(infra.http, settings.apppush, settings.http),
        settings=settings.wechat,
        live=RedisChannelsPubSubBackend(redis=infra.redis),
    )
