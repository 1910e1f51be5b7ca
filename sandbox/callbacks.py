"""Signed event callbacks, as the stand-ins send them (the provincial case library, the 12345
hotline, the hall calling system).

Each of those systems POSTs its events to the subscriber with the same scheme: headers
``<prefix>-Timestamp`` (unix seconds), ``<prefix>-Event-Id`` and ``<prefix>-Signature`` = hex
HMAC-SHA256(secret, timestamp + "." + body). The events of one stream (a case, a ticket, a
hall) go out in order, one at a time; each is retried with capped exponential backoff until the
receiver answers 2xx. Fault knobs (set by each stand-in's ``/_control/callback-faults``):
``duplicate`` (every event twice), ``reorder`` (an event held until the stream's next one went
out), ``bad_signature`` (signed with a wrong key), ``delay_seconds`` (before each attempt),
``hold`` (nothing attempted until cleared). A stand-in's fault body may carry only some of them.

``CallbackService`` (a stand-in's sender and scripted processor, started and stopped with its
app) and ``add_control_routes`` (the control endpoints every such stand-in has) are here too.

The protocol is implemented here, from the systems' interface descriptions, independently of the
product's verifier (``sandbox`` imports nothing from the product).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import msgspec
from aiohttp import web

from sandbox.http import ApiError, healthz, json_response

log = logging.getLogger("sandbox.callbacks")

DELIVERY_TIMEOUT = 5.0
MAX_BACKOFF = 5.0
REORDER_HOLD_SECONDS = 1.0


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of ``timestamp + "." + body`` with ``secret``."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


@dataclass
class Delivery:
    """One event on its way: ``stream`` orders it among its stream's others; ``labels`` are
    what the stand-in's ``/_control/callbacks`` shows of it besides the delivery state."""

    event_id: str
    stream: str
    sequence: int
    url: str | None
    body: bytes
    labels: dict[str, Any] = field(default_factory=dict)
    attempts: int = 0
    delivered: bool = False
    last_error: str | None = None

    def describe(self) -> dict[str, Any]:
        return {
            "eventId": self.event_id,
            **self.labels,
            "sequence": self.sequence,
            "attempts": self.attempts,
            "delivered": self.delivered,
            "lastError": self.last_error,
        }


class CallbackSender:
    """Sends deliveries: one task per stream with pending events, in order, retried forever.

    ``timestamp``: the clock of the signature's timestamp (the wall clock by default: the
    transport's time, which a receiver checks against its own). ``extra_headers`` go on every
    attempt (a client id)."""

    def __init__(
        self,
        *,
        secret: str,
        header_prefix: str,
        retry_base: float,
        timestamp: Callable[[], float] = time.time,
        extra_headers: Mapping[str, str] | None = None,
        faults: Any = None,
    ) -> None:
        self.secret = secret
        self.header_prefix = header_prefix
        self.retry_base = retry_base
        self.timestamp = timestamp
        self.extra_headers = dict(extra_headers or {})
        self.deliveries: list[Delivery] = []
        self._initial_faults = faults
        self._faults: Any = faults
        self._released = asyncio.Event()
        self._released.set()
        self._queues: dict[str, asyncio.Queue[Delivery]] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._session: aiohttp.ClientSession | None = None

    # --- faults ----------------------------------------------------------------------------

    @property
    def faults(self) -> Any:
        """The stand-in's own fault body, as its control API set it."""
        return self._faults

    @faults.setter
    def faults(self, value: Any) -> None:
        self._faults = value
        if self._knob("hold", False):
            self._released.clear()
        else:
            self._released.set()

    def _knob(self, name: str, default: Any) -> Any:
        return getattr(self._faults, name, default)

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=DELIVERY_TIMEOUT))

    async def stop(self) -> None:
        self._released.set()
        await self.cancel()
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def cancel(self) -> None:
        """Stop every pending delivery (a reset)."""
        tasks = list(self._tasks.values())
        self._tasks.clear()
        self._queues.clear()
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    async def reset(self) -> None:
        """No pending deliveries, none remembered, the faults the sender was built with."""
        await self.cancel()
        self.deliveries.clear()
        self.faults = self._initial_faults

    # --- sending ---------------------------------------------------------------------------

    def send(self, delivery: Delivery, *, no_url: str = "no callback URL") -> None:
        """Queue ``delivery`` behind its stream's pending ones; ``no_url`` is its last error
        when it has nowhere to go (it is kept, never attempted)."""
        self.deliveries.append(delivery)
        if delivery.url is None:
            delivery.last_error = no_url
            return
        queue = self._queues.setdefault(delivery.stream, asyncio.Queue())
        queue.put_nowait(delivery)
        if delivery.stream not in self._tasks:
            self._tasks[delivery.stream] = asyncio.create_task(self._work(delivery.stream, queue))

    async def _work(self, stream: str, queue: asyncio.Queue[Delivery]) -> None:
        try:
            while True:
                try:
                    delivery = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return  # no await since the check: nothing can be enqueued meanwhile
                if not self._knob("reorder", False):
                    await self._deliver(delivery)
                    continue
                # Reorder: hold this event until the stream's next one has been sent.
                try:
                    following = await asyncio.wait_for(queue.get(), timeout=REORDER_HOLD_SECONDS)
                except TimeoutError:
                    await self._deliver(delivery)
                else:
                    await self._deliver(following)
                    await self._deliver(delivery)
        finally:
            if self._queues.get(stream) is queue:
                del self._queues[stream]
                self._tasks.pop(stream, None)

    async def _deliver(self, delivery: Delivery) -> None:
        for _ in range(2 if self._knob("duplicate", False) else 1):
            failures = 0
            while not await self._attempt(delivery):
                await asyncio.sleep(min(self.retry_base * 2 ** min(failures, 20), MAX_BACKOFF))
                failures += 1
            delivery.delivered = True

    async def _attempt(self, delivery: Delivery) -> bool:
        await self._released.wait()
        assert self._session is not None and delivery.url is not None
        delay = float(self._knob("delay_seconds", 0.0))
        if delay > 0:
            await asyncio.sleep(delay)
        delivery.attempts += 1
        timestamp = str(int(self.timestamp()))
        secret = self.secret + "-wrong" if self._knob("bad_signature", False) else self.secret
        prefix = self.header_prefix
        headers = {
            "Content-Type": "application/json",
            **self.extra_headers,
            f"{prefix}-Timestamp": timestamp,
            f"{prefix}-Event-Id": delivery.event_id,
            f"{prefix}-Signature": sign(secret, timestamp, delivery.body),
        }
        try:
            async with self._session.post(
                delivery.url, data=delivery.body, headers=headers
            ) as resp:
                await resp.read()
                if 200 <= resp.status < 300:
                    return True
                delivery.last_error = f"HTTP {resp.status}"
        except (aiohttp.ClientError, TimeoutError) as exc:
            delivery.last_error = f"{type(exc).__name__}: {exc}".rstrip(": ")
        log.debug(
            "callback %s to %s failed: %s", delivery.event_id, delivery.url, delivery.last_error
        )
        return False


class CallbackService:
    """A stand-in's source of events: its ``sender`` and, when ``auto_process_seconds`` is set,
    a scripted processor that calls ``process()`` that often. Both run from ``start()`` to
    ``stop()`` (the app's startup and cleanup, by ``add_control_routes``)."""

    def __init__(
        self, *, sender: CallbackSender, auto_process_seconds: float | None = None
    ) -> None:
        self.sender = sender
        self.auto_process_seconds = auto_process_seconds
        self._processor: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.sender.start()
        if self.auto_process_seconds is not None:
            self._processor = asyncio.create_task(self._auto_process(self.auto_process_seconds))

    async def stop(self) -> None:
        if self._processor is not None:
            self._processor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._processor
            self._processor = None
        await self.sender.stop()

    def process(self) -> None:
        """One round of the scripted processor: move what is open one step."""

    async def _auto_process(self, every: float) -> None:
        while True:
            await asyncio.sleep(every)
            try:
                self.process()
            except Exception:
                log.exception("%s: the scripted processor failed", type(self).__name__)


def add_control_routes(
    app: web.Application,
    service_of: Callable[[web.Application], CallbackService],
    *,
    faults: type[msgspec.Struct],
    reset: Callable[[web.Application], Awaitable[None]] | None = None,
) -> None:
    """The control endpoints of a stand-in that sends callbacks, and its service's lifecycle:

    - ``GET /_control/callbacks``: ``{"deliveries": [...]}``, every event in creation order;
    - ``GET`` / ``POST`` / ``DELETE /_control/callback-faults``: read, set (a ``faults`` body,
      400 ``INVALID_PARAMETER`` when it is not one) or clear the sender's fault knobs, each
      answering ``{"callbackFaults": {...}}``;
    - with ``reset`` (a stand-in of its own, not a part of a larger one): ``GET /healthz`` and
      ``POST /_control/reset``, which awaits ``reset(app)`` and answers ``{"status": "reset"}``.
    """

    def sender_of(request: web.Request) -> CallbackSender:
        return service_of(request.app).sender

    def described(sender: CallbackSender) -> web.Response:
        return json_response({"callbackFaults": msgspec.to_builtins(sender.faults)})

    async def list_callbacks(request: web.Request) -> web.Response:
        return json_response({"deliveries": [d.describe() for d in sender_of(request).deliveries]})

    async def get_faults(request: web.Request) -> web.Response:
        return described(sender_of(request))

    async def set_faults(request: web.Request) -> web.Response:
        sender = sender_of(request)
        try:
            sender.faults = msgspec.json.decode(await request.read(), type=faults)
        except msgspec.DecodeError as exc:  # ValidationError is a DecodeError
            raise ApiError(400, "INVALID_PARAMETER", str(exc)) from exc
        return described(sender)

    async def clear_faults(request: web.Request) -> web.Response:
        sender = sender_of(request)
        sender.faults = faults()
        return described(sender)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        service = service_of(app)
        await service.start()
        yield
        await service.stop()

    app.cleanup_ctx.append(lifecycle)
    app.router.add_get("/_control/callbacks", list_callbacks)
    app.router.add_get("/_control/callback-faults", get_faults)
    app.router.add_post("/_control/callback-faults", set_faults)
    app.router.add_delete("/_control/callback-faults", clear_faults)
    if reset is None:
        return
    reset_app = reset

    async def control_reset(request: web.Request) -> web.Response:
        await reset_app(request.app)
        return json_response({"status": "reset"})

    app.router.add_get("/healthz", healthz)
    app.router.add_post("/_control/reset", control_reset)


__all__ = [
    "CallbackSender",
    "CallbackService",
    "Delivery",
    "add_control_routes",
    "sign",
]
