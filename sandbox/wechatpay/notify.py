"""Payment and refund notifications (支付通知 / 退款结果通知) as WeChat Pay sends them.

A notification is POSTed to the order's (or refund's) ``notify_url`` as JSON::

    {"id": "…", "create_time": "2026-01-05T10:34:56+08:00", "resource_type": "encrypt-resource",
     "event_type": "TRANSACTION.SUCCESS", "summary": "支付成功",
     "resource": {"original_type": "transaction", "algorithm": "AEAD_AES_256_GCM",
                  "ciphertext": "…", "associated_data": "transaction", "nonce": "…"}}

encrypted with the merchant's APIv3 key and signed like an answer (``Wechatpay-*`` headers).
HTTP 200 or 204 acknowledges it; anything else (or no answer within 5 s) is a failure and the
same notification (same ``id``) is sent again after 15s, 15s, 30s, 3m, 10m, 20m, 30m, 30m, 30m,
60m, 3h, 3h, 3h, 6h, 6h — each delay multiplied by ``time_scale``.

Faults (``NotifyFault``): every attempt can go out as N identical concurrent copies, as WeChat
Pay may deliver one notification more than once, and/or with a broken signature.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Annotated, Any

import aiohttp
import msgspec

from sandbox.clock import Clock
from sandbox.wechatpay.crypto import aes_gcm_encrypt
from sandbox.wechatpay.keys import Merchant, Signer
from sandbox.wechatpay.state import rfc3339

log = logging.getLogger("sandbox.wechatpay.notify")

# Seconds between attempts, from WeChat Pay's documentation of payment notifications.
RETRY_SCHEDULE: tuple[float, ...] = (
    15,
    15,
    30,
    180,
    600,
    1200,
    1800,
    1800,
    1800,
    3600,
    10800,
    10800,
    10800,
    21600,
    21600,
)
ATTEMPT_TIMEOUT_SECONDS = 5.0


class NotifyFault(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    # Copies sent concurrently for every attempt (same id, same body, same headers).
    duplicates: Annotated[int, msgspec.Meta(ge=1, le=50)] = 1
    # Send a signature that does not verify.
    bad_signature: bool = False
    # How many notifications (not attempts) the fault applies to; null: all until cleared.
    times: Annotated[int, msgspec.Meta(ge=1)] | None = None


@dataclass
class Attempt:
    event_id: str
    event_type: str
    url: str
    attempt: int
    copy: int
    at: str
    status: int | None = None
    error: str | None = None
    out_trade_no: str | None = None
    out_refund_no: str | None = None

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.event_id,
            "eventType": self.event_type,
            "url": self.url,
            "attempt": self.attempt,
            "copy": self.copy,
            "at": self.at,
            "status": self.status,
            "error": self.error,
            "outTradeNo": self.out_trade_no,
            "outRefundNo": self.out_refund_no,
        }


@dataclass
class Notification:
    event_id: str
    event_type: str
    url: str
    body: str
    duplicates: int
    bad_signature: bool
    out_trade_no: str | None
    out_refund_no: str | None
    delivered: bool = False
    attempts: int = 0


@dataclass
class Notifier:
    signer: Signer
    clock: Clock
    time_scale: float = 1.0
    attempts: list[Attempt] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)
    fault: NotifyFault | None = None
    _fault_used: int = 0
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _session: aiohttp.ClientSession | None = None

    def set_fault(self, fault: NotifyFault | None) -> None:
        self.fault, self._fault_used = fault, 0

    def describe_fault(self) -> dict[str, Any]:
        if self.fault is None:
            return {"fault": None}
        return {"fault": msgspec.to_builtins(self.fault), "applied": self._fault_used}

    def _take_fault(self) -> NotifyFault:
        fault = self.fault
        if fault is None:
            return NotifyFault()
        self._fault_used += 1
        if fault.times is not None and self._fault_used >= fault.times:
            self.fault = None
        return fault

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run a background job of the stand-in; cancelled by ``close``/``reset``."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def send(
        self,
        merchant: Merchant,
        url: str,
        *,
        event_type: str,
        summary: str,
        original_type: str,
        resource: dict[str, Any],
        out_trade_no: str | None = None,
        out_refund_no: str | None = None,
    ) -> Notification:
        """Encrypt, wrap and deliver one notification in the background (with retries)."""
        plaintext = msgspec.json.encode(resource)
        event_id = str(uuid.uuid4())
        envelope: dict[str, Any] = {
            "id": event_id,
            "create_time": rfc3339(self.clock.now()),
            "resource_type": "encrypt-resource",
            "event_type": event_type,
            "summary": summary,
            "resource": {
                "original_type": original_type,
                **aes_gcm_encrypt(merchant.apiv3_key, plaintext, original_type),
            },
        }
        fault = self._take_fault()
        notification = Notification(
            event_id=event_id,
            event_type=event_type,
            url=url,
            body=msgspec.json.encode(envelope).decode(),
            duplicates=fault.duplicates,
            bad_signature=fault.bad_signature,
            out_trade_no=out_trade_no,
            out_refund_no=out_refund_no,
        )
        self.notifications.append(notification)
        self.spawn(self._deliver(notification))
        return notification

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=ATTEMPT_TIMEOUT_SECONDS)
            )
        return self._session

    async def _post(self, notification: Notification, headers: dict[str, str], copy: int) -> bool:
        attempt = Attempt(
            event_id=notification.event_id,
            event_type=notification.event_type,
            url=notification.url,
            attempt=notification.attempts,
            copy=copy,
            at=rfc3339(self.clock.now()),
            out_trade_no=notification.out_trade_no,
            out_refund_no=notification.out_refund_no,
        )
        self.attempts.append(attempt)
        try:
            async with self._http().post(
                notification.url, data=notification.body.encode(), headers=headers
            ) as resp:
                await resp.read()
                attempt.status = resp.status
                return resp.status in (200, 204)
        except (aiohttp.ClientError, TimeoutError) as exc:
            attempt.error = f"{type(exc).__name__}: {exc}"
            return False

    async def _deliver(self, notification: Notification) -> None:
        for delay in (0.0, *RETRY_SCHEDULE):
            if delay:
                await asyncio.sleep(delay * self.time_scale)
            notification.attempts += 1
            headers = {
                "Content-Type": "application/json",
                "User-Agent": "Mozilla/4.0 (sandbox WeChat Pay notifier)",
                **self.signer.headers(notification.body, tampered=notification.bad_signature),
            }
            results = await asyncio.gather(
                *(
                    self._post(notification, headers, copy)
                    for copy in range(1, notification.duplicates + 1)
                )
            )
            if any(results):
                notification.delivered = True
                return
        log.info("notification %s never acknowledged", notification.event_id)

    def cancel(self) -> None:
        for task in list(self._tasks):
            task.cancel()

    def reset(self) -> None:
        self.cancel()
        self.attempts.clear()
        self.notifications.clear()
        self.set_fault(None)

    async def close(self) -> None:
        self.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._session is not None:
            await self._session.close()
