"""Push jobs: choose the channels of a message, deliver it on each, send notices in batches,
collect delivery reports. Each handler opens its transaction here and calls ``PushService``."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import TYPE_CHECKING

from core.db import Connection, Pool
from core.jobs import JobRegistry, JobSubject
from push.schemas import (
    DELIVER_JOB,
    FAN_OUT_JOB,
    NOTICE_BATCH_JOB,
    NOTICE_CHANNEL_JOB,
    RECEIPTS_JOB,
    BatchJob,
    ChannelBatchJob,
    DeliveryJob,
    MessageJob,
)

if TYPE_CHECKING:
    from push.service import PushService
    from push.service.deliveries import SendOutcome

# Channel batches one worker runs at once; the channel's concurrency (push settings) bounds the
# requests in flight across them. Eight, not four: a batch's tail (its last sends, its group
# commit) and the pick-up of the next left the lane short of requests (bench/fanout.py).
NOTICE_CHANNEL_BATCHES = 8
RECEIPTS_CRON = "* * * * *"
# A group commit waits this long for more outcomes, unless this many are waiting already.
GROUP_COMMIT_WAIT_S = 0.05
GROUP_COMMIT_SIZE = 256
CHANNEL_NAMES = {"wechat": "微信订阅消息", "sms": "短信", "app": "App 推送"}


def register(registry: JobRegistry, push: PushService, pool: Pool) -> None:
    recorder = GroupCommit(pool, push)

    async def fan_out(job: MessageJob) -> None:
        async with pool.acquire() as conn, conn.transaction():
            await push.fan_out(conn, uuid.UUID(job.message_id))

    async def deliver(job: DeliveryJob) -> None:
        async with pool.acquire() as conn, conn.transaction():
            await push.deliver(conn, uuid.UUID(job.message_id), job.channel)

    async def notice_batch(job: BatchJob) -> None:
        async with pool.acquire() as conn, conn.transaction():
            await push.send_notice_batch(conn, uuid.UUID(job.notice_id))

    async def notice_channel_batch(job: ChannelBatchJob) -> None:
        message_ids = [uuid.UUID(m) for m in job.message_ids]
        if job.channel == "app":
            await send_app_batch(pool, push, message_ids)
        elif job.channel == "wechat":
            await send_wechat_batch(pool, push, message_ids, recorder)
        else:
            # A transaction per message: one sent is recorded as sent whatever happens next.
            for message_id in message_ids:
                async with pool.acquire() as conn, conn.transaction():
                    await push.deliver(conn, message_id, job.channel)

    # A delivery job that gives up marks its deliveries failed (never queued for ever); staff
    # retrying it from the dead letters queue them again.
    async def deliveries_dead(message_ids: list[str], channel: str, error: BaseException) -> None:
        async with pool.acquire() as conn, conn.transaction():
            await push.fail_queued(conn, [uuid.UUID(m) for m in message_ids], channel, error)

    async def delivery_dead(job: DeliveryJob, error: BaseException) -> None:
        await deliveries_dead([job.message_id], job.channel, error)

    async def batch_dead(job: ChannelBatchJob, error: BaseException) -> None:
        await deliveries_dead(job.message_ids, job.channel, error)

    async def delivery_retry(conn: Connection, job: DeliveryJob) -> None:
        await push.requeue_failed(conn, [uuid.UUID(job.message_id)], job.channel)

    async def batch_retry(conn: Connection, job: ChannelBatchJob) -> None:
        await push.requeue_failed(conn, [uuid.UUID(m) for m in job.message_ids], job.channel)

    async def receipts(_: None) -> None:
        await collect_receipts(pool, push)

    registry.register(FAN_OUT_JOB, fan_out, MessageJob, describe=_describe_fan_out)
    registry.register(
        DELIVER_JOB,
        deliver,
        DeliveryJob,
        on_dead=delivery_dead,
        on_retry=delivery_retry,
        describe=_describe_delivery,
    )
    registry.register(NOTICE_BATCH_JOB, notice_batch, BatchJob, describe=_describe_notice)
    registry.register(
        NOTICE_CHANNEL_JOB,
        notice_channel_batch,
        ChannelBatchJob,
        concurrency_limit=NOTICE_CHANNEL_BATCHES,
        on_dead=batch_dead,
        on_retry=batch_retry,
        describe=_describe_channel_batch,
    )
    registry.register(RECEIPTS_JOB, receipts)
    registry.every(RECEIPTS_CRON, RECEIPTS_JOB)


async def send_app_batch(pool: Pool, push: PushService, message_ids: list[uuid.UUID]) -> int:
    """A notice's app deliveries in batch single pushes; no connection is held while the
    aggregator answers. Returns how many deliveries were recorded."""
    async with pool.acquire() as conn:
        targets = await push.queued_app(conn, message_ids)
    if not targets:
        return 0  # all done already (a retried job): nothing is sent again
    results = await push.push_app_batch([t for t in targets if t.registration_ids])
    async with pool.acquire() as conn, conn.transaction():
        return await push.record_app_batch(conn, targets, results)


async def send_wechat_batch(
    pool: Pool, push: PushService, message_ids: list[uuid.UUID], recorder: GroupCommit
) -> None:
    """A notice's WeChat deliveries, many in flight; no connection is held while WeChat
    answers, and what was sent is recorded (by the worker's ``recorder``) before the job ends
    whatever befell the rest."""
    async with pool.acquire() as conn, conn.transaction():
        sends = await push.claim_notice_sends(conn, message_ids)
    if not sends:
        return  # all done already (a retried job): nothing is sent again
    writes: set[asyncio.Future[None]] = set()
    try:
        await push.send_notice_sends(sends, lambda outcome: writes.add(recorder.add(outcome)))
    finally:
        await GroupCommit.wait_for(writes)


class GroupCommit:
    """The WeChat outcomes of every notice batch a worker runs, written together as they come:
    each write is one transaction with every outcome that arrived while the previous one ran or
    within ``GROUP_COMMIT_WAIT_S`` (unless ``GROUP_COMMIT_SIZE`` are waiting already). One per
    worker, not one per batch: eight batches writing their own commits every 50 ms cost the
    worker and the database more than their sends (bench/fanout.py). A batch waits for the
    write holding its last outcome before it ends, so a finished job's outcomes are on record;
    a worker killed meanwhile resends at most one write's outcomes and the requests in flight.
    """

    def __init__(self, pool: Pool, push: PushService) -> None:
        self._pool, self._push = pool, push
        self._pending: list[SendOutcome] = []
        # Resolved when the outcomes now pending are written (or their write failed).
        self._written: asyncio.Future[None] | None = None
        self._full: asyncio.Event | None = None  # set when GROUP_COMMIT_SIZE are waiting
        self._writer: asyncio.Task[None] | None = None

    def add(self, outcome: SendOutcome) -> asyncio.Future[None]:
        """Queues ``outcome``; returns the write that will hold it (resolved once committed)."""
        self._pending.append(outcome)
        if self._written is None:
            self._written = asyncio.get_running_loop().create_future()
        if self._writer is None:
            # Started by the first outcome, done when none is left: nothing runs between
            # notices, and each run belongs to the event loop of the batches it serves.
            self._full = asyncio.Event()
            self._writer = asyncio.create_task(self._write(self._full))
        elif len(self._pending) >= GROUP_COMMIT_SIZE and self._full is not None:
            self._full.set()
        return self._written

    @staticmethod
    async def wait_for(writes: set[asyncio.Future[None]]) -> None:
        """Until ``writes`` are committed; raises the first failure among them."""
        # Shielded: a batch cancelled while it waits leaves the writes to the other batches.
        results = await asyncio.gather(*map(asyncio.shield, writes), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result

    async def _write(self, full: asyncio.Event) -> None:
        written: asyncio.Future[None] | None = None
        try:
            while self._pending:
                if len(self._pending) < GROUP_COMMIT_SIZE:
                    # A moment for more outcomes to join: one transaction per outcome cost the
                    # database more than the sends. A worker killed now resends at most these.
                    full.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(full.wait(), GROUP_COMMIT_WAIT_S)
                outcomes, self._pending = self._pending, []
                written, self._written = self._written, None
                try:
                    async with self._pool.acquire() as conn, conn.transaction():
                        await self._push.record_notice_sends(conn, outcomes)
                except Exception as exc:  # noqa: BLE001 - raised in each batch waiting for it
                    _settle(written, exc)
                else:
                    _settle(written, None)
        except BaseException:
            # Cancelled (the worker stops): the batches waiting for a write are told, not left
            # waiting for ever; their jobs end unfinished and the queue runs them again.
            stopped = RuntimeError("the outcome writer stopped")
            _settle(written, stopped)
            _settle(self._written, stopped)
            raise
        finally:
            self._writer = None


def _settle(written: asyncio.Future[None] | None, error: Exception | None) -> None:
    if written is None or written.done():
        return
    if error is None:
        written.set_result(None)
    else:
        written.set_exception(error)


async def collect_receipts(pool: Pool, push: PushService) -> int:
    """Fold the providers' delivery reports into the delivery log: sent → delivered / failed.
    No connection is held while the providers answer."""
    async with pool.acquire() as conn:
        waiting = await push.awaiting_receipts(conn)
    outcomes = await push.ask_receipts(waiting)
    async with pool.acquire() as conn, conn.transaction():
        return await push.settle(conn, outcomes)


def _describe_fan_out(job: MessageJob) -> JobSubject:
    return JobSubject(kind="message", id=job.message_id, summary="将消息分发到各推送渠道")


def _describe_delivery(job: DeliveryJob) -> JobSubject:
    channel = CHANNEL_NAMES.get(job.channel, job.channel)
    return JobSubject(kind="message", id=job.message_id, summary=f"经{channel}发送消息")


def _describe_notice(job: BatchJob) -> JobSubject:
    return JobSubject(kind="notice", id=job.notice_id, summary="分批生成公告消息")


def _describe_channel_batch(job: ChannelBatchJob) -> JobSubject:
    channel = CHANNEL_NAMES.get(job.channel, job.channel)
    first = job.message_ids[0] if job.message_ids else ""
    return JobSubject(
        kind="message",
        id=first,
        summary=f"经{channel}批量发送公告消息（{len(job.message_ids)} 条）",
    )


__all__ = [
    "DELIVER_JOB",
    "FAN_OUT_JOB",
    "NOTICE_BATCH_JOB",
    "NOTICE_CHANNEL_JOB",
    "RECEIPTS_JOB",
    "BatchJob",
    "ChannelBatchJob",
    "DeliveryJob",
    "MessageJob",
    "collect_receipts",
    "register",
    "send_app_batch",
    "send_wechat_batch",
]
