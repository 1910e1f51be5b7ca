"""What every part of the push service holds (``PushService`` is built once per process by
``push.deps.build``)."""

from __future__ import annotations

import uuid

from limits.aio.strategies import RateLimiter
from litestar.channels.backends.redis import RedisChannelsPubSubBackend

from core.clients.apppush import AppPushClient
from core.clients.sms import SmsClient
from core.clients.wechat import WechatClient
from core.settings import PushSettings, SmsSettings, WechatSettings
from push.service.recipients import Applicants, Recipients


def live_channel(citizen_id: uuid.UUID) -> str:
    """The Litestar channel the citizen's open pages listen on."""
    return f"inbox:{citizen_id}"


class PushBase:
    wechat: WechatClient
    sms: SmsClient
    apppush: AppPushClient
    settings: WechatSettings
    # A notice's sends per channel: concurrency per process, and a rate across processes.
    pace: PushSettings
    limiter: RateLimiter
    # The SMS sign name, notice template and price of one part (urgent notices' cost).
    sms_settings: SmsSettings
    # Litestar Channels on Redis: open pages of the citizen hear of new messages at once.
    live: RedisChannelsPubSubBackend
    # Identity's citizens (contact details, audiences) and who applied for an item.
    recipients: Recipients
    applicants: Applicants
