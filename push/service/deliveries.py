"""Delivery beyond the inbox: choose a message's channels, send it on each, fold in the
providers' delivery reports."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
import weakref
from collections.abc import Callable, Sequence
from datetime import timedelta

import msgspec
from limits import RateLimitItemPerSecond

from core import jobs
from core.clients.apppush import BATCH_LIMIT, AppPushRejected, BatchPush, BatchResult
from core.clients.sms import SmsRejected
from core.clients.wechat import BAD_ARGUMENT, NO_QUOTA, THROTTLED, subscribe_data
from core.db import Connection
from core.http import summarised
from core.jobs import Deferred
from push.errors import Throttled
from push.repository import deliveries as repo
from push.repository.deliveries import AppTarget, DeliveryRow, QueuedSend, SentRow
from push.schemas import DELIVER_JOB, DeliveryJob
from push.service.base import PushBase, live_channel
from push.service.channels import STATUS_PHRASES, Reach, channels_for, progress_fields, thing
from push.service.messages import write_message

log = logging.getLogger(__name__)

SMS_TEMPLATE = "SMS_PROGRESS"
RECEIPT_BATCH = 100
# 45011: over WeChat's rate; a notice's batch waits this long and goes on (45009, the daily
# quota, is a failure the job retries with backoff).
RATE = 45011
THROTTLE_PAUSE_S = 2.0
# The reason of a delivery whose job gave up (followed by the error's type).
DEAD_LETTER_REASON = "job_failed"

# A provider's report on one delivery: (channel, message id, status, reason).
Outcome = tuple[str, uuid.UUID, str, str | None]


class Receipts(msgspec.Struct, frozen=True, kw_only=True):
    """Deliveries sent and not yet confirmed, per channel."""

    sms: list[SentRow]
    app: list[SentRow]


class NoticeSend(msgspec.Struct, frozen=True, kw_only=True):
    """A queued WeChat delivery of a notice, with the openid it goes to."""

    message_id: uuid.UUID
    title: str
    body: str
    link: str | None
    openid: str
    # A one-time grant: each message sent debits it.
    counted: bool = False


class SendOutcome(msgspec.Struct, frozen=True, kw_only=True):
    """What became of one delivery; ``openid``: the grant to debit (sent on a one-time grant)
    or zero (43101)."""

    message_id: uuid.UUID
    status: str
    reason: str | None = None
    provider_id: str | None = None
    openid: str | None = None


# Per event loop and channel: the requests of notices in flight in this process.
_LANES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Semaphore]] = (
    weakref.WeakKeyDictionary()
)


class Deliveries(PushBase):
    async def fan_out(self, conn: Connection, message_id: uuid.UUID) -> None:
        """Tell open pages of the new message, and queue a delivery on each channel that
        carries it to this citizen."""
        message = await repo.message(conn, message_id)
        if message is None:
            return
        # After the commit that wrote it (this job exists only then): tell open pages.
        await self.live.publish(
            msgspec.json.encode(
                {
                    "id": str(message_id),
                    "eventType": message.event_type,
                    "title": message.title,
                    "body": message.body,
                }
            ),
            [live_channel(message.citizen_id)],
        )
        if message.event_type != "notice":
            # A company's message: in the company's inbox (its agents read it acting for it)
            # and a copy in each current agent's own, sent on by that person's channels and
            # preferences (docs/acting-as.md). Here, after the commit, not in the request.
            for agent in await self.recipients.push_party_agents(conn, message.citizen_id):
                await write_message(
                    conn,
                    agent,
                    message.event_type,
                    message.params,
                    dedupe_key=f"party:{message.id}",
                    link=message.link,
                )
        contact = await self.recipients.push_contact(conn, message.citizen_id, self.settings.appid)
        if contact is None:
            return
        allowed = await repo.allowed(conn, message.citizen_id)
        reach = Reach(
            openid=contact.openid,
            has_phone=contact.has_phone,
            has_device=allowed.has_device,
            wechat_ok=allowed.wechat_ok,
            app_ok=allowed.app_ok,
            sms_ok=allowed.sms_ok,
        )
        for channel in channels_for(message.event_type, reach):
            if await repo.queue_delivery(conn, message_id, channel):
                await jobs.enqueue(
                    conn,
                    DELIVER_JOB,
                    DeliveryJob(str(message_id), channel),
                    dedupe_key=f"deliver:{message_id}:{channel}",
                )

    async def deliver(self, conn: Connection, message_id: uuid.UUID, channel: str) -> None:
        """Send one queued delivery; one no longer queued is never sent again."""
        row = await repo.delivery(conn, message_id, channel)
        if row is None or row.status != "queued":
            return  # already sent, failed for good, or skipped: never twice
        if channel == "wechat":
            await self._wechat(conn, message_id, row)
        elif channel == "sms":
            await self._sms(conn, message_id, row)
        elif channel == "app":
            await self._app(conn, message_id, row)

    async def _wechat(self, conn: Connection, message_id: uuid.UUID, row: DeliveryRow) -> None:
        settings = self.settings
        contact = await self.recipients.push_contact(conn, row.citizen_id, settings.appid)
        openid = contact.openid if contact is not None else None
        notice = row.event_type == "notice"
        template = settings.template_notice if notice else settings.template_progress
        if openid is None or not await repo.has_quota(conn, openid, template):
            # No grant, no attempt: WeChat would only answer 43101.
            await repo.record_delivery(conn, message_id, "wechat", "skipped", "no_quota")
            return
        data = (
            {"thing1": thing(row.title), "thing2": thing(row.body)}
            if notice
            else progress_fields(row.params, row.event_type, row.created_at, row.title)
        )
        reply = await self.wechat.send_subscribe_message(
            openid=openid,
            template_id=template,
            data=data,
            page=row.link,
            state=settings.miniprogram_state,
        )
        if reply.errcode == 0:
            await repo.debit_quota(conn, openid, template)
            await repo.record_delivery(conn, message_id, "wechat", "sent", None, str(reply.msgid))
        elif reply.errcode == NO_QUOTA:
            await repo.zero_quota(conn, openid, template)
            await repo.record_delivery(conn, message_id, "wechat", "failed", "43101 no quota")
        elif reply.errcode == BAD_ARGUMENT:
            await repo.record_delivery(
                conn, message_id, "wechat", "failed", f"47003 {reply.errmsg}"
            )
        elif reply.errcode in THROTTLED:
            raise Throttled(f"{reply.errcode} {reply.errmsg}")
        else:
            raise RuntimeError(f"wechat subscribe send: {reply.errcode} {reply.errmsg}")

    async def _app(self, conn: Connection, message_id: uuid.UUID, row: DeliveryRow) -> None:
        devices = await repo.devices_of(conn, row.citizen_id)
        if not devices:
            await repo.record_delivery(conn, message_id, "app", "skipped", "no_device")
            return
        try:
            provider_id = await self.apppush.push(devices, row.title, row.body)
        except AppPushRejected as exc:
            # 1011: none of the devices is known to the aggregator any more (app uninstalled).
            await repo.record_delivery(conn, message_id, "app", "failed", f"{exc.code}")
            return
        await repo.record_delivery(conn, message_id, "app", "sent", None, provider_id)

    async def _sms(self, conn: Connection, message_id: uuid.UUID, row: DeliveryRow) -> None:
        phone = await self.recipients.push_phone(conn, row.citizen_id)
        if phone is None:
            await repo.record_delivery(conn, message_id, "sms", "skipped", "no_phone")
            return
        template = SMS_TEMPLATE
        params = {
            "item": row.params.get("item", ""),
            "status": STATUS_PHRASES.get(row.event_type, "有更新"),
        }
        if row.event_type == "notice":  # an urgent notice: its own template (sms_cost)
            template = self.sms_settings.notice_template
            params = {"title": row.title, "body": row.body}
        try:
            provider_id = await self.sms.send(phone, template, params, out_id=str(message_id))
        except SmsRejected as exc:
            if exc.retry_after is not None:
                # Over the gateway's per-phone limit: wait for its window, not a failed attempt.
                raise Deferred(timedelta(seconds=exc.retry_after), f"sms {exc.code}") from exc
            await repo.record_delivery(conn, message_id, "sms", "failed", exc.code)
            return
        await repo.record_delivery(conn, message_id, "sms", "sent", None, provider_id)

    # --- a notice's WeChat deliveries, a batch at a time ----------------------------------------
    # A batch is claimed in one transaction (who still waits, and their openid), sent with up
    # to the channel's concurrency in flight (and its rate across workers, when one is set),
    # and each outcome is handed to ``record`` as it comes (the job writes them in group
    # commits). A send that fails is left queued and the batch raises once the others have
    # answered: its retry sends only what is still queued, never one already sent.

    async def claim_notice_sends(
        self, conn: Connection, message_ids: Sequence[uuid.UUID]
    ) -> list[NoticeSend]:
        """The batch's WeChat deliveries still queued, with the openid holding a grant of the
        notice template; those without one are skipped here (no grant, no attempt: WeChat
        would only answer 43101)."""
        rows = await repo.queued_sends(conn, list(message_ids), "wechat")
        if not rows:
            return []
        to = await self._granted_openids(conn, rows)
        skipped: list[tuple[uuid.UUID, str, str | None, str | None]] = [
            (r.message_id, "skipped", "no_quota", None) for r in rows if r.citizen_id not in to
        ]
        if skipped:
            await repo.record_deliveries(conn, "wechat", skipped)
        return [
            NoticeSend(
                message_id=r.message_id,
                title=r.title,
                body=r.body,
                link=r.link,
                openid=to[r.citizen_id][0],
                counted=to[r.citizen_id][1],
            )
            for r in rows
            if r.citizen_id in to
        ]

    async def _granted_openids(
        self, conn: Connection, rows: list[QueuedSend]
    ) -> dict[uuid.UUID, tuple[str, bool]]:
        """Each citizen's openid holding a grant, and whether its sends are counted (a one-time
        grant; a long-term one is not debited)."""
        addresses = await self.recipients.push_openids(conn, [r.citizen_id for r in rows])
        grants = await repo.granted(
            conn, [a.openid for a in addresses], self.settings.template_notice
        )
        long_term = {g.openid: g.long_term for g in grants}
        openids: dict[uuid.UUID, tuple[str, bool]] = {}
        for address in sorted(addresses, key=lambda a: a.openid):
            if address.openid in long_term:
                openids.setdefault(
                    address.citizen_id, (address.openid, not long_term[address.openid])
                )
        return openids

    async def send_notice_sends(
        self, sends: list[NoticeSend], record: Callable[[SendOutcome], None]
    ) -> None:
        """Send ``sends`` within WeChat's lane, handing each outcome to ``record`` as it comes.
        Raises (after every request in flight has answered) when a send failed in a way worth
        trying again; throttled by WeChat, it stops sending at once and defers the batch."""
        lane = self._lane("wechat")
        failure: Exception | None = None
        # Each notice's fields encoded once, not once per recipient.
        fields: dict[tuple[str, str], msgspec.Raw] = {}

        pending = iter(sends)

        async def sender() -> None:
            # A few senders per batch take the next message in turn (not a task per message).
            nonlocal failure
            for one in pending:
                async with lane:
                    if isinstance(failure, Throttled):
                        return  # WeChat asked us to slow down: the rest waits for the retry
                    try:
                        await self._paced("wechat")
                        data = fields.get((one.title, one.body))
                        if data is None:
                            data = fields[(one.title, one.body)] = subscribe_data(
                                {"thing1": thing(one.title), "thing2": thing(one.body)}
                            )
                        outcome = await self._send_wechat(one, data)
                    except Exception as exc:  # noqa: BLE001 - raised once the others answered
                        failure = failure if isinstance(failure, Throttled) else exc
                        continue
                record(outcome)

        senders = min(len(sends), max(1, self.pace.notice_wechat_concurrency))
        with summarised() as calls:
            await asyncio.gather(*(sender() for _ in range(senders)))
        log.info(
            "outside calls of a notice batch",
            extra={
                "system": "wechat",
                "operation": "subscribe_send",
                "outcome": "ok",
                "calls": calls.calls,
                "mean_ms": round(calls.total_ms / max(1, calls.calls), 1),
                "max_ms": round(calls.max_ms, 1),
            },
        )
        if isinstance(failure, Throttled) and failure.per_second:
            # WeChat's rate, not a failure: the rest goes once its window has passed (a batch of
            # a big notice may be throttled many times, and never becomes a dead letter).
            raise Deferred(timedelta(seconds=THROTTLE_PAUSE_S), str(failure)) from failure
        if failure is not None:
            raise failure

    def _lane(self, channel: str) -> asyncio.Semaphore:
        """The requests of notices in flight on ``channel`` in this process."""
        lanes = _LANES.setdefault(asyncio.get_running_loop(), {})
        if channel not in lanes:
            pace = self.pace
            limit = (
                pace.notice_app_concurrency if channel == "app" else pace.notice_wechat_concurrency
            )
            lanes[channel] = asyncio.Semaphore(max(1, limit))
        return lanes[channel]

    async def _paced(self, channel: str) -> None:
        """Waits for a slot of the channel's rate across processes, when one is set."""
        pace = self.pace
        per_second = (
            pace.notice_app_per_second if channel == "app" else pace.notice_wechat_per_second
        )
        if per_second <= 0:
            return
        item = RateLimitItemPerSecond(per_second)
        while not await self.limiter.hit(item, "notice", channel):
            stats = await self.limiter.get_window_stats(item, "notice", channel)
            await asyncio.sleep(min(1.0, max(0.005, stats.reset_time - time.time())))

    async def _send_wechat(self, one: NoticeSend, data: msgspec.Raw) -> SendOutcome:
        reply = await self.wechat.send_subscribe_message(
            openid=one.openid,
            template_id=self.settings.template_notice,
            data=data,
            page=one.link,
            state=self.settings.miniprogram_state,
        )
        if reply.errcode == 0:
            return SendOutcome(
                message_id=one.message_id,
                status="sent",
                provider_id=str(reply.msgid),
                openid=one.openid if one.counted else None,
            )
        if reply.errcode == NO_QUOTA:
            return SendOutcome(
                message_id=one.message_id,
                status="failed",
                reason="43101 no quota",
                openid=one.openid,
            )
        if reply.errcode == BAD_ARGUMENT:
            return SendOutcome(
                message_id=one.message_id, status="failed", reason=f"47003 {reply.errmsg}"
            )
        if reply.errcode in THROTTLED:
            raise Throttled(f"{reply.errcode} {reply.errmsg}", per_second=reply.errcode == RATE)
        raise RuntimeError(f"wechat subscribe send: {reply.errcode} {reply.errmsg}")

    async def record_notice_sends(self, conn: Connection, outcomes: list[SendOutcome]) -> None:
        """Outcomes into the delivery log, and grants debited (sent) or zeroed (43101)."""
        await repo.record_deliveries(
            conn,
            "wechat",
            [(o.message_id, o.status, o.reason, o.provider_id) for o in outcomes],
        )
        template = self.settings.template_notice
        sent = [o.openid for o in outcomes if o.status == "sent" and o.openid]
        refused = [o.openid for o in outcomes if o.status == "failed" and o.openid]
        if sent:
            await repo.debit_quotas(conn, sent, template)
        if refused:
            await repo.zero_quotas(conn, refused, template)

    # --- a notice's app pushes, in batches -----------------------------------------------------
    # The job holds no connection while the aggregator answers: read the queued ones, send
    # them in batch single pushes (each push's cid is derived from its message and device, so
    # a job retried after its sends were accepted pushes nothing twice), record the outcomes.

    async def queued_app(self, conn: Connection, message_ids: list[uuid.UUID]) -> list[AppTarget]:
        return await repo.queued_app(conn, message_ids)

    async def push_app_batch(self, targets: list[AppTarget]) -> list[BatchResult]:
        pushes = [
            BatchPush(key=str(t.message_id), registration_id=rid, title=t.title, alert=t.body)
            for t in targets
            for rid in t.registration_ids
        ]
        results: list[BatchResult] = []
        for start in range(0, len(pushes), BATCH_LIMIT):
            async with self._lane("app"):  # the app channel's limits, as WeChat's
                await self._paced("app")
                results += await self.apppush.push_batch(pushes[start : start + BATCH_LIMIT])
        return results

    async def record_app_batch(
        self, conn: Connection, targets: list[AppTarget], results: list[BatchResult]
    ) -> int:
        """Sent when a device took it (the provider id of the newest one that did: its
        receipt settles the delivery), failed with the aggregator's code when none did,
        skipped without a device."""
        by_message: dict[str, list[BatchResult]] = {}
        for result in results:
            by_message.setdefault(result.key, []).append(result)
        outcomes: list[tuple[uuid.UUID, str, str | None, str | None]] = []
        for target in targets:
            mine = by_message.get(str(target.message_id), [])
            accepted = [r.msg_id for r in mine if r.msg_id is not None]
            if not target.registration_ids:
                outcomes.append((target.message_id, "skipped", "no_device", None))
            elif accepted:
                outcomes.append((target.message_id, "sent", None, accepted[0]))
            elif mine:
                outcomes.append((target.message_id, "failed", str(mine[0].error_code), None))
        return await repo.record_deliveries(conn, "app", outcomes)

    # --- a delivery job that gives up ----------------------------------------------------------

    async def fail_queued(
        self, conn: Connection, message_ids: list[uuid.UUID], channel: str, error: BaseException
    ) -> None:
        """Deliveries whose job gave up are failed (never queued for ever); staff retrying the
        job from the dead letters queue them again (``requeue_failed``)."""
        await repo.fail_queued(
            conn, message_ids, channel, f"{DEAD_LETTER_REASON}: {type(error).__name__}"
        )

    async def requeue_failed(
        self, conn: Connection, message_ids: list[uuid.UUID], channel: str
    ) -> None:
        await repo.requeue_failed(conn, message_ids, channel, DEAD_LETTER_REASON)

    # --- delivery reports ----------------------------------------------------------------------

    async def awaiting_receipts(self, conn: Connection) -> Receipts:
        return Receipts(
            sms=await repo.awaiting_receipt(conn, "sms", RECEIPT_BATCH),
            app=await repo.awaiting_receipt(conn, "app", RECEIPT_BATCH),
        )

    async def ask_receipts(self, waiting: Receipts) -> list[Outcome]:
        """The providers' reports on ``waiting`` (no connection held while they answer)."""
        outcomes: list[Outcome] = []
        if waiting.sms:
            sms = {r.provider_id: r.message_id for r in waiting.sms}
            for receipt in await self.sms.receipts(list(sms)):
                message_id = sms.get(receipt.message_id)
                if message_id is None:
                    continue  # not one we asked about
                if receipt.status == "DELIVERED":
                    outcomes.append(("sms", message_id, "delivered", None))
                elif receipt.status == "FAILED":
                    outcomes.append(("sms", message_id, "failed", receipt.error_code))
        if waiting.app:
            app = {r.provider_id: r.message_id for r in waiting.app}
            for received in await self.apppush.received(list(app)):
                message_id = app.get(received.msg_id)
                if message_id is None:
                    continue
                if (received.android_received or 0) + (received.ios_apns_sent or 0) > 0:
                    outcomes.append(("app", message_id, "delivered", None))
        return outcomes

    async def settle(self, conn: Connection, outcomes: list[Outcome]) -> int:
        """Fold the reports into the delivery log: sent → delivered / failed (one statement per
        channel, by primary key: the log of a big notice holds millions of rows)."""
        settled = 0
        for channel in sorted({o[0] for o in outcomes}):
            rows = [(m, status, reason) for c, m, status, reason in outcomes if c == channel]
            settled += await repo.settle_deliveries(conn, channel, rows)
        return settled
