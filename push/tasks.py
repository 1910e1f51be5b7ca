"""Push jobs: choose the channels of a message, and deliver it on each."""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

import asyncpg
import msgspec
from litestar.channels.backends.redis import RedisChannelsPubSubBackend

from core import jobs
from core.clients.apppush import AppPushClient, AppPushRejected
from core.clients.sms import SmsClient, SmsRejected
from core.clients.wechat import BAD_ARGUMENT, NO_QUOTA, THROTTLED, WechatClient
from core.db import Connection, Pool
from core.jobs import Deferred, JobRegistry, JobSubject
from core.pii import PiiCipher
from core.settings import WechatSettings
from push import repository as repo
from push.channels import STATUS_PHRASES, channels_for, progress_fields, thing
from push.notices import (
    NOTICE_BATCH_JOB,
    NOTICE_CHANNEL_JOB,
    BatchJob,
    ChannelBatchJob,
    send_batch,
)
from push.service import DELIVER_JOB, FAN_OUT_JOB, DeliveryJob, MessageJob

log = logging.getLogger(__name__)
SMS_TEMPLATE = "SMS_PROGRESS"
RECEIPTS_JOB = "push.receipts"
NOTICE_SENDS_PER_SECOND = 500
RECEIPT_BATCH = 100
# The identity domain encrypts phones under this field name (associated data).
PHONE_FIELD = "citizen.phone"
# The reason of a delivery whose job gave up (followed by the error's type).
DEAD_LETTER_REASON = "job_failed"
CHANNEL_NAMES = {"wechat": "微信订阅消息", "sms": "短信", "app": "App 推送"}


class Throttled(Exception):
    """WeChat's daily or per-second limit: retried later with backoff."""


@dataclass(frozen=True)
class PushContext:
    pool: Pool
    pii: PiiCipher
    wechat: WechatClient
    sms: SmsClient
    apppush: AppPushClient
    settings: WechatSettings
    # Litestar Channels on Redis: open pages of the citizen hear of new messages at once.
    live: RedisChannelsPubSubBackend


def live_channel(citizen_id: uuid.UUID) -> str:
    return f"inbox:{citizen_id}"


def register(registry: JobRegistry, ctx: PushContext) -> None:
    async def fan_out(job: MessageJob) -> None:
        await _fan_out(ctx, uuid.UUID(job.message_id))

    async def deliver(job: DeliveryJob) -> None:
        await _deliver(ctx, uuid.UUID(job.message_id), job.channel)

    async def notice_batch(job: BatchJob) -> None:
        await send_batch(ctx.pool, uuid.UUID(job.notice_id), ctx.settings.template_notice)

    async def notice_channel_batch(job: ChannelBatchJob) -> None:
        # Paced: a channel's rate limit holds however many batches run.
        for message_id in job.message_ids:
            await _deliver(ctx, uuid.UUID(message_id), job.channel)
            await asyncio.sleep(1 / NOTICE_SENDS_PER_SECOND)

    # A delivery job that gives up marks its deliveries failed (never queued for ever); staff
    # retrying it from the dead letters queue them again.
    async def deliveries_dead(message_ids: list[str], channel: str, error: BaseException) -> None:
        async with ctx.pool.acquire() as conn:
            await repo.fail_queued(
                conn, [uuid.UUID(m) for m in message_ids], channel,
                f"{DEAD_LETTER_REASON}: {type(error).__name__}",
            )  # fmt: skip

    async def delivery_dead(job: DeliveryJob, error: BaseException) -> None:
        await deliveries_dead([job.message_id], job.channel, error)

    async def batch_dead(job: ChannelBatchJob, error: BaseException) -> None:
        await deliveries_dead(job.message_ids, job.channel, error)

    async def delivery_retry(conn: Connection, job: DeliveryJob) -> None:
        await repo.requeue_failed(
            conn, [uuid.UUID(job.message_id)], job.channel, DEAD_LETTER_REASON
        )

    async def batch_retry(conn: Connection, job: ChannelBatchJob) -> None:
        await repo.requeue_failed(
            conn, [uuid.UUID(m) for m in job.message_ids], job.channel, DEAD_LETTER_REASON
        )

    registry.register(FAN_OUT_JOB, fan_out, MessageJob, describe=_describe_fan_out)
    registry.register(
        DELIVER_JOB, deliver, DeliveryJob,
        on_dead=delivery_dead, on_retry=delivery_retry, describe=_describe_delivery,
    )  # fmt: skip

    async def receipts(_: None) -> None:
        await collect_receipts(ctx)

    registry.register(NOTICE_BATCH_JOB, notice_batch, BatchJob, describe=_describe_notice)
    # One channel batch at a time across workers: the pacing above is then the channel's rate.
    registry.register(
        NOTICE_CHANNEL_JOB, notice_channel_batch, ChannelBatchJob, concurrency_limit=1,
        on_dead=batch_dead, on_retry=batch_retry, describe=_describe_channel_batch,
    )  # fmt: skip
    registry.register(RECEIPTS_JOB, receipts)
    registry.every("* * * * *", RECEIPTS_JOB)


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


async def _fan_out(ctx: PushContext, message_id: uuid.UUID) -> None:
    async with ctx.pool.acquire() as conn, conn.transaction():
        message = await repo.message(conn, message_id)
        if message is None:
            return
        # After the commit that wrote it (this job exists only then): tell open pages.
        await ctx.live.publish(
            msgspec.json.encode({"id": str(message_id), "eventType": message["event_type"],
                                 "title": message["title"], "body": message["body"]}),
            [live_channel(message["citizen_id"])],
        )  # fmt: skip
        recipient = await repo.recipient(conn, message["citizen_id"], ctx.settings.appid)
        if recipient is None:
            return
        for channel in channels_for(message["event_type"], recipient):
            if await repo.queue_delivery(conn, message_id, channel):
                await jobs.enqueue(
                    conn, DELIVER_JOB, DeliveryJob(str(message_id), channel),
                    dedupe_key=f"deliver:{message_id}:{channel}",
                )  # fmt: skip


async def _deliver(ctx: PushContext, message_id: uuid.UUID, channel: str) -> None:
    async with ctx.pool.acquire() as conn, conn.transaction():
        row = await repo.delivery(conn, message_id, channel)
        if row is None or row["status"] != "queued":
            return  # already sent, failed for good, or skipped: never twice
        if channel == "wechat":
            await _wechat(ctx, conn, message_id, row)
        elif channel == "sms":
            await _sms(ctx, conn, message_id, row)
        elif channel == "app":
            await _app(ctx, conn, message_id, row)


async def _wechat(
    ctx: PushContext, conn: Connection, message_id: uuid.UUID, row: asyncpg.Record
) -> None:
    openid = await repo.openid_of(conn, row["citizen_id"], ctx.settings.appid)
    notice = row["event_type"] == "notice"
    template = ctx.settings.template_notice if notice else ctx.settings.template_progress
    if openid is None or not await repo.has_quota(conn, openid, template):
        # No grant, no attempt: WeChat would only answer 43101.
        await repo.record_delivery(conn, message_id, "wechat", "skipped", "no_quota")
        return
    data = (
        {"thing1": thing(row["title"]), "thing2": thing(row["body"])}
        if notice
        else progress_fields(row["params"], row["event_type"], row["created_at"], row["title"])
    )
    reply = await ctx.wechat.send_subscribe_message(
        openid=openid,
        template_id=template,
        data=data,
        page=row["link"],
        state=ctx.settings.miniprogram_state,
    )
    if reply.errcode == 0:
        await repo.debit_quota(conn, openid, template)
        await repo.record_delivery(conn, message_id, "wechat", "sent", None, str(reply.msgid))
    elif reply.errcode == NO_QUOTA:
        await repo.zero_quota(conn, openid, template)
        await repo.record_delivery(conn, message_id, "wechat", "failed", "43101 no quota")
    elif reply.errcode == BAD_ARGUMENT:
        await repo.record_delivery(conn, message_id, "wechat", "failed", f"47003 {reply.errmsg}")
    elif reply.errcode in THROTTLED:
        raise Throttled(f"{reply.errcode} {reply.errmsg}")
    else:
        raise RuntimeError(f"wechat subscribe send: {reply.errcode} {reply.errmsg}")


async def _app(
    ctx: PushContext, conn: Connection, message_id: uuid.UUID, row: asyncpg.Record
) -> None:
    devices = await repo.devices_of(conn, row["citizen_id"])
    if not devices:
        await repo.record_delivery(conn, message_id, "app", "skipped", "no_device")
        return
    try:
        provider_id = await ctx.apppush.push(devices, row["title"], row["body"])
    except AppPushRejected as exc:
        # 1011: none of the devices is known to the aggregator any more (app uninstalled).
        await repo.record_delivery(conn, message_id, "app", "failed", f"{exc.code}")
        return
    await repo.record_delivery(conn, message_id, "app", "sent", None, provider_id)


async def _sms(
    ctx: PushContext, conn: Connection, message_id: uuid.UUID, row: asyncpg.Record
) -> None:
    phone_enc = await repo.phone_of(conn, row["citizen_id"])
    if phone_enc is None:
        await repo.record_delivery(conn, message_id, "sms", "skipped", "no_phone")
        return
    params = {
        "item": row["params"].get("item", ""),
        "status": STATUS_PHRASES.get(row["event_type"], "有更新"),
    }
    try:
        provider_id = await ctx.sms.send(
            ctx.pii.decrypt(phone_enc, field=PHONE_FIELD), SMS_TEMPLATE, params,
            out_id=str(message_id),
        )  # fmt: skip
    except SmsRejected as exc:
        if exc.retry_after is not None:
            # Over the gateway's per-phone limit: wait for its window, not a failed attempt.
            raise Deferred(timedelta(seconds=exc.retry_after), f"sms {exc.code}") from exc
        await repo.record_delivery(conn, message_id, "sms", "failed", exc.code)
        return
    await repo.record_delivery(conn, message_id, "sms", "sent", None, provider_id)


async def collect_receipts(ctx: PushContext) -> int:
    """Fold the providers' delivery reports into the delivery log: sent → delivered / failed."""
    settled = 0
    async with ctx.pool.acquire() as conn:
        sms = await repo.awaiting_receipt(conn, "sms", RECEIPT_BATCH)
        app = await repo.awaiting_receipt(conn, "app", RECEIPT_BATCH)
    outcomes: list[tuple[str, str, str, str | None]] = []
    if sms:
        for receipt in await ctx.sms.receipts([r["provider_id"] for r in sms]):
            if receipt.status == "DELIVERED":
                outcomes.append(("sms", receipt.message_id, "delivered", None))
            elif receipt.status == "FAILED":
                outcomes.append(("sms", receipt.message_id, "failed", receipt.error_code))
    if app:
        for received in await ctx.apppush.received([r["provider_id"] for r in app]):
            if (received.android_received or 0) + (received.ios_apns_sent or 0) > 0:
                outcomes.append(("app", received.msg_id, "delivered", None))
    async with ctx.pool.acquire() as conn, conn.transaction():
        for channel, provider_id, status, reason in outcomes:
            await repo.settle_delivery(conn, channel, provider_id, status, reason)
            settled += 1
    return settled
