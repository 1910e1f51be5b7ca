"""Payments: fee notices, orders, WeChat Pay notifications, refunds and reconciliation.

Money moves exactly once: an order is created once per Idempotency-Key, at most one is open per
notice, a notification changes an order's state once (inbox on its id + the order row locked),
a refund is made once per ``out_refund_no``, and the platform hears of a payment by one job.

``PaymentsService`` is the domain's face; each use case is one part of it, in its own module:

- ``notices``: the citizen's fee notices (``notices.py``, with ``record_fee_notice`` and
  ``absorb_citizen``, which other domains call inside their transaction);
- ``orders``: opening an order, showing it, the poll job's steps (``orders.py``);
- ``notifications``: WeChat Pay's notifications and its word on a transaction
  (``notifications.py``);
- ``refunds``: asking, deciding, the refund job's steps (``refunds.py``);
- ``reports``: after a payment, the other domains and the platform (``reports.py``);
- ``reconciliation``: WeChat's trade bill against our orders, mismatches (``reconciliation.py``,
  reading the bill with ``payments.bills``);
- ``staff``: the dashboard's figures and the order list (``staff.py``).

Every method that touches the database takes ``conn`` first: the request's transaction or the
job's (``payments.tasks`` opens those; a job's outside calls run between its transactions).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from core.clients.provincial import ProvincialCasesClient
from core.clients.wechatpay import WechatPayClient
from core.db import Connection
from core.settings import WechatPaySettings
from payments.bills import yesterday_in_china
from payments.service.common import (
    JobQueue,
    OpenidLookup,
    PaidHook,
    PaidOrder,
    new_trade_no,
)
from payments.service.notices import NoticeService, absorb_citizen, record_fee_notice
from payments.service.notifications import NotificationService
from payments.service.orders import OrderService
from payments.service.reconciliation import ReconciliationService
from payments.service.refunds import RefundService, RefundToExecute
from payments.service.reports import PaymentToReport, ReportService
from payments.service.staff import StaffViewService


class PaymentsService:
    """The payments use cases of a process, wired to each other once."""

    def __init__(
        self,
        *,
        client: WechatPayClient | None,
        platform: ProvincialCasesClient,
        settings: WechatPaySettings,
        on_paid: PaidHook,
        openid_of: OpenidLookup,
        jobs: JobQueue,
    ) -> None:
        """``client``: None where WeChat Pay is not configured (payment endpoints answer 503);
        ``on_paid``: what the case's domain does when its fee is paid; ``openid_of``: the
        citizen's WeChat openid (identity's); ``jobs``: the queue of ``payments.tasks``."""
        self.notices = NoticeService()
        self.refunds = RefundService(client=client, settings=settings, jobs=jobs)
        self.notifications = NotificationService(
            client=client, settings=settings, jobs=jobs, refunds=self.refunds
        )
        self.orders = OrderService(
            client=client,
            settings=settings,
            jobs=jobs,
            notifications=self.notifications,
            openid_of=openid_of,
        )
        self.reports = ReportService(platform=platform, on_paid=on_paid, refunds=self.refunds)
        self.reconciliation = ReconciliationService(client=client, settings=settings, jobs=jobs)
        self.staff = StaffViewService()

    # --- for declarations ---

    async def fee_notice_from_platform(
        self,
        conn: Connection,
        *,
        citizen_id: uuid.UUID,
        declaration_id: uuid.UUID,
        item_code: str,
        case_number: str,
        notice: Mapping[str, Any],
    ) -> bool:
        """Keep the fee notice a case's event brings (with the case's item, which limits who
        acting for the citizen reaches it): whether the notice is new."""
        return await record_fee_notice(
            conn,
            citizen_id=citizen_id,
            declaration_id=declaration_id,
            item_code=item_code,
            case_number=case_number,
            notice=notice,
        )


__all__ = [
    "JobQueue",
    "NoticeService",
    "NotificationService",
    "OpenidLookup",
    "OrderService",
    "PaidHook",
    "PaidOrder",
    "PaymentToReport",
    "PaymentsService",
    "ReconciliationService",
    "RefundService",
    "RefundToExecute",
    "ReportService",
    "StaffViewService",
    "absorb_citizen",
    "new_trade_no",
    "record_fee_notice",
    "yesterday_in_china",
]
