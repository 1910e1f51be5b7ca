"""Push's use cases, one service: ``PushService``, built by ``push.deps.build``.

Split by use case: ``messages`` (``notify``, the inbox, subscription grants, devices,
preferences), ``deliveries`` (fan-out, each channel, delivery reports), ``notices`` (staff
notices). ``channels`` and ``templates`` hold the rendering rules; ``recipients`` the small
interface through which push asks the identity domain about citizens.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from litestar.channels.backends.redis import RedisChannelsPubSubBackend

from core.clients.apppush import AppPushClient
from core.clients.sms import SmsClient
from core.clients.wechat import WechatClient
from core.db import Connection
from core.settings import WechatSettings
from push.events import EventType
from push.service.base import live_channel
from push.service.deliveries import Deliveries
from push.service.messages import Messages, write_message
from push.service.notices import Notices
from push.service.recipients import Applicants, Recipients


class PushService(Messages, Deliveries, Notices):
    """Notifications of a process: inbox, WeChat subscribe messages, app push, SMS, live
    pages, notices."""

    def __init__(
        self,
        *,
        wechat: WechatClient,
        sms: SmsClient,
        apppush: AppPushClient,
        settings: WechatSettings,
        live: RedisChannelsPubSubBackend,
        recipients: Recipients,
        applicants: Applicants,
    ) -> None:
        self.wechat = wechat
        self.sms = sms
        self.apppush = apppush
        self.settings = settings
        self.live = live
        self.recipients = recipients
        self.applicants = applicants


# --- compatibility: module functions other domains still call ---------------------------------
# Until their deps.build receives ``push: PushService`` (then they call ``push.notify``); the
# same code as the method, which needs nothing of the instance.


async def notify(
    conn: Connection,
    citizen_id: uuid.UUID,
    event_type: EventType,
    params: Mapping[str, str],
    *,
    dedupe_key: str,
    link: str | None = None,
) -> bool:
    """``PushService.notify`` for callers not handed the service yet."""
    return await write_message(
        conn, citizen_id, event_type, params, dedupe_key=dedupe_key, link=link
    )


__all__ = ["PushService", "live_channel", "notify"]
