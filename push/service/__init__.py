"""Push's use cases, one service: ``PushService``, built by ``push.deps.build``.

Split by use case: ``messages`` (``notify``, the inbox, subscription grants, devices,
preferences), ``deliveries`` (fan-out, each channel, delivery reports), ``notices`` (staff
notices), ``staff`` (the staff inbox). ``channels`` and ``templates`` hold the rendering rules; ``recipients`` the small
interface through which push asks the identity domain about citizens.
"""

from __future__ import annotations

from limits.aio.strategies import RateLimiter
from litestar.channels.backends.redis import RedisChannelsPubSubBackend

from core.clients.apppush import AppPushClient
from core.clients.sms import SmsClient
from core.clients.wechat import WechatClient
from core.settings import PushSettings, SmsSettings, WechatSettings
from push.service.base import live_channel
from push.service.deliveries import Deliveries
from push.service.messages import Messages
from push.service.notices import Notices
from push.service.recipients import Applicants, Recipients
from push.service.staff import StaffInbox


class PushService(Messages, Deliveries, Notices, StaffInbox):
    """Notifications of a process: inbox, WeChat subscribe messages, app push, SMS, live
    pages, notices."""

    def __init__(
        self,
        *,
        wechat: WechatClient,
        sms: SmsClient,
        apppush: AppPushClient,
        settings: WechatSettings,
        pace: PushSettings,
        limiter: RateLimiter,
        sms_settings: SmsSettings,
        live: RedisChannelsPubSubBackend,
        recipients: Recipients,
        applicants: Applicants,
    ) -> None:
        self.wechat = wechat
        self.sms = sms
        self.apppush = apppush
        self.settings = settings
        self.pace = pace
        self.limiter = limiter
        self.sms_settings = sms_settings
        self.live = live
        self.recipients = recipients
        self.applicants = applicants


__all__ = ["PushService", "live_channel"]
