"""Route handlers of the push domain, mounted by the API's composition root."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from push.controllers import (
    InboxController,
    LiveInboxController,
    NoticeController,
    PushSettingsController,
    PushSubscriptionController,
    StaffInboxController,
    WechatPushHookController,
)


def push_route_handlers() -> list[ControllerRouterHandler]:
    return [
        InboxController,
        LiveInboxController,
        PushSubscriptionController,
        PushSettingsController,
        WechatPushHookController,
        NoticeController,
        StaffInboxController,
    ]
