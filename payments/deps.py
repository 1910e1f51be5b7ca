"""How the payments service of a process is built and provided."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from core.clients.provincial import ProvincialCasesClient
from core.clients.wechatpay import WechatPayClient
from core.di import from_state
from core.infra import Infrastructure
from payments.service import OpenidLookup, PaidHook, PaymentsService
from payments.tasks import PaymentJobQueue

KEY = "payments"
DEPENDENCIES = from_state(KEY)


@contextlib.asynccontextmanager
async def build(
    infra: Infrastructure,
    *,
    cases: ProvincialCasesClient,
    on_paid: PaidHook,
    openid_of: OpenidLookup,
) -> AsyncIterator[PaymentsService]:
    """``on_paid``: what the case's domain does when its fee is paid (declarations);
    ``openid_of``: the citizen's WeChat openid, for JSAPI payments (identity)."""
    settings = infra.settings
    client = (
        WechatPayClient(infra.http, settings.wechatpay, settings.http)
        if settings.wechatpay.base_url
        else None
    )
    yield PaymentsService(
        client=client,
        platform=cases,
        settings=settings.wechatpay,
        on_paid=on_paid,
        openid_of=openid_of,
        jobs=PaymentJobQueue(),
    )
