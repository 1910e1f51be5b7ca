"""What the payments use cases share: the paid-order hook, the job queue they enqueue on, trade
numbers, China's bill day, and WeChat Pay when it is configured."""

from __future__ import annotations

import secrets
import string
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

import msgspec

from core.clients.wechatpay import WechatPayClient
from core.clock import china_today
from core.db import Connection
from core.settings import WechatPaySettings
from payments import errors
from payments.schemas import Receipt

_BASE62 = string.digits + string.ascii_letters


@dataclass(frozen=True, slots=True)
class PaidOrder:
    """What other domains hear of a payment (through the hook the composition root wires)."""

    order_id: uuid.UUID
    citizen_id: uuid.UUID
    declaration_id: uuid.UUID | None
    item_name: str
    amount_fen: int


PaidHook = Callable[[Connection, PaidOrder], Awaitable[None]]
# The citizen's openid in a WeChat app, or None (identity's, handed in by the composition root).
OpenidLookup = Callable[[Connection, uuid.UUID, str], Awaitable[str | None]]


class JobQueue(Protocol):
    """The jobs the use cases enqueue, in the caller's transaction (``payments.tasks`` names
    them and handles them; the composition root hands its queue to the service)."""

    async def paid(self, conn: Connection, order_id: uuid.UUID) -> None: ...

    async def poll(
        self, conn: Connection, order_id: uuid.UUID, attempt: int, delay: timedelta
    ) -> None: ...

    async def refund(
        self,
        conn: Connection,
        refund_id: uuid.UUID,
        attempt: int = 0,
        delay: timedelta | None = None,
    ) -> None: ...

    async def reconcile(self, conn: Connection, bill_date: date) -> None: ...


@dataclass(frozen=True, kw_only=True)
class UsesWechatPay:
    """A use case that talks to WeChat Pay and enqueues jobs."""

    # None where WeChat Pay is not configured: payment endpoints then answer 503.
    client: WechatPayClient | None
    settings: WechatPaySettings
    jobs: JobQueue

    @property
    def wechatpay(self) -> WechatPayClient:
        if self.client is None:
            raise errors.PaymentUnavailable("WeChat Pay is not configured")
        return self.client

    def poll_delay(self, attempt: int) -> timedelta | None:
        """How long to wait before asking WeChat again (None: the settings ask never)."""
        delays = self.settings.poll_delays()
        if not delays:
            return None
        return timedelta(seconds=delays[min(attempt, len(delays) - 1)])


def new_trade_no(prefix: str = "HH", now: datetime | None = None) -> str:
    """``out_trade_no``: 6–32 of [0-9A-Za-z]; China's date first, so bills and logs sort by day."""
    stamp = china_today(now).strftime("%Y%m%d")
    return prefix + stamp + "".join(secrets.choice(_BASE62) for _ in range(16))


def now() -> datetime:
    return datetime.now(UTC)


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def receipt_of(value: Any) -> Receipt | None:
    return None if not value else msgspec.convert(value, Receipt)
