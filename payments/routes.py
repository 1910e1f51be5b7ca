"""Route handlers of the payments domain, mounted by the API's composition root."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from payments.controllers import PaymentController, PaymentOpsController, WechatPayHookController


def payment_route_handlers() -> list[ControllerRouterHandler]:
    return [PaymentController, WechatPayHookController, PaymentOpsController]
