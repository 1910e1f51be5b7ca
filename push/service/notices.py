"""Notices to citizens (通知公告): draft → approved by another person → sent in batches.

Each batch writes its inbox messages and enqueues the next batch in one transaction, keyed by
the last citizen done: a worker killed mid-batch rolls the batch back and the queue runs it
again, so every recipient gets the notice exactly once (the inbox's unique dedupe key is the
second guard).

An audience is walked in pages in citizen-id order: identity pages its citizens (all, a
region, a list); a tag's citizens (push's own table) and an item's applicants come in pages
that identity filters down to live accounts. Nothing holds a whole audience in memory, and a
count is one ``count(*)`` (all, region, list) or one per page of candidates (tag, item).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import msgspec

from core import jobs
from core.db import Connection
from core.principals import StaffPrincipal
from push.errors import (
    AudienceInvalid,
    NoticeNotFound,
    NoticeSmsCostChanged,
    NoticeStateConflict,
    SelfApproval,
)
from push.repository import notices as repo
from push.repository.notices import ChannelCount, NoticeRow, SmsFigures
from push.schemas import (
    NOTICE_BATCH_JOB,
    NOTICE_CHANNEL_JOB,
    NOTICE_CHANNELS,
    BatchJob,
    ChannelBatchJob,
    ChannelFigures,
    Notice,
    NoticeApproval,
    NoticeDraft,
    NoticeFigures,
    ReachDay,
    SmsEstimate,
    TagRequest,
    TagResult,
)
from push.service.base import PushBase
from push.service.sms_cost import notice_sms_text, sms_cost_fen, sms_parts

BATCH_SIZE = 1000
# Candidates (a tag's, an item's applicants) counted per round trip to identity.
COUNT_PAGE = 10_000
_FIRST = uuid.UUID(int=0)


class Selector(msgspec.Struct, frozen=True, kw_only=True):
    """A notice's audience as stored (its ``audience`` column holds the draft's camelCase)."""

    kind: str
    region_code: str | None = None
    tag: str | None = None
    item_code: str | None = None
    citizen_ids: list[uuid.UUID] = []

    @classmethod
    def of(cls, raw: dict[str, Any]) -> Selector:
        return cls(
            kind=raw["kind"],
            region_code=raw.get("regionCode"),
            tag=raw.get("tag"),
            item_code=raw.get("itemCode"),
            citizen_ids=[uuid.UUID(str(i)) for i in raw.get("citizenIds", [])],
        )


class Notices(PushBase):
    # --- the audience -------------------------------------------------------------------------

    async def reach_by_day(self, conn: Connection, since: datetime) -> list[ReachDay]:
        """Reach per China day and channel of the messages written since ``since`` (every
        event, notices included), for the service figures' rollup."""
        return [ReachDay(**msgspec.structs.asdict(r)) for r in await repo.reach_by_day(conn, since)]

    async def _candidates(
        self, conn: Connection, selector: Selector, after: uuid.UUID, limit: int
    ) -> list[uuid.UUID] | None:
        """The next page of a tag's or an item's citizens; None for audiences identity walks
        itself."""
        if selector.kind == "tag" and selector.tag:
            return await repo.tagged(conn, selector.tag, after=after, limit=limit)
        if selector.kind == "item" and selector.item_code:
            return await self.applicants.push_applicants(
                conn, selector.item_code, after=after, limit=limit
            )
        if selector.kind in ("tag", "item"):
            return []
        return None

    async def _page(
        self, conn: Connection, selector: Selector, after: uuid.UUID, limit: int
    ) -> tuple[uuid.UUID | None, list[uuid.UUID]]:
        """The audience's next page after ``after``: the cursor to continue from (None when
        none are left) and the live citizens in it."""
        candidates = await self._candidates(conn, selector, after, limit)
        if candidates is not None:
            if not candidates:
                return None, []
            live = await self.recipients.push_audience(
                conn, after=after, limit=len(candidates), among=candidates
            )
            return candidates[-1], live
        if selector.kind not in ("all", "region", "list"):
            return None, []
        live = await self.recipients.push_audience(
            conn,
            after=after,
            limit=limit,
            region_code=selector.region_code if selector.kind == "region" else None,
            among=selector.citizen_ids if selector.kind == "list" else None,
        )
        return (live[-1] if live else None), live

    async def _count(self, conn: Connection, selector: Selector) -> int:
        if selector.kind in ("tag", "item"):
            total, after = 0, _FIRST
            while candidates := await self._candidates(conn, selector, after, COUNT_PAGE):
                total += await self.recipients.push_audience_count(conn, among=candidates)
                after = candidates[-1]
            return total
        if selector.kind not in ("all", "region", "list"):
            return 0
        return await self.recipients.push_audience_count(
            conn,
            region_code=selector.region_code if selector.kind == "region" else None,
            among=selector.citizen_ids if selector.kind == "list" else None,
        )

    async def _sms_recipients(self, conn: Connection, selector: Selector) -> int:
        """How many of the audience an urgent notice would text: a phone on record (identity)
        and SMS not switched off (push's preferences)."""
        off = await repo.sms_switched_off(conn)
        if selector.kind in ("tag", "item"):
            switched_off = set(off)
            total, after = 0, _FIRST
            while candidates := await self._candidates(conn, selector, after, COUNT_PAGE):
                live = await self.recipients.push_audience(
                    conn, after=after, limit=len(candidates), among=candidates
                )
                phoned = await self.recipients.push_with_phone(conn, live)
                total += sum(1 for c in phoned if c not in switched_off)
                after = candidates[-1]
            return total
        if selector.kind not in ("all", "region", "list"):
            return 0
        region = selector.region_code if selector.kind == "region" else None
        among = selector.citizen_ids if selector.kind == "list" else None
        total = await self.recipients.push_audience_count(
            conn, region_code=region, among=among, with_phone=True
        )
        if off:
            if among is not None:
                off = list(set(off) & set(among))
            if off:
                total -= await self.recipients.push_audience_count(
                    conn, region_code=region, among=off, with_phone=True
                )
        return total

    async def sms_estimate(self, conn: Connection, row: NoticeRow) -> SmsFigures:
        """What an urgent notice's SMS costs now: recipients × parts × price of a part."""
        recipients = await self._sms_recipients(conn, Selector.of(row.audience))
        parts = sms_parts(notice_sms_text(self.sms_settings.sign_name, row.title, row.body))
        price = self.sms_settings.price_fen
        return SmsFigures(
            recipients=recipients,
            parts=parts,
            price_fen=price,
            cost_fen=sms_cost_fen(recipients, parts, price),
        )

    # --- drafting, approval, cancellation --------------------------------------------------------

    async def draft_notice(
        self, conn: Connection, staff: StaffPrincipal, data: NoticeDraft
    ) -> Notice:
        if data.audience.kind == "region" and not data.audience.region_code:
            raise AudienceInvalid("a region audience needs a 6-digit regionCode")
        if data.audience.kind == "tag" and not data.audience.tag:
            raise AudienceInvalid("a tag audience needs tag")
        if data.audience.kind == "item" and not data.audience.item_code:
            raise AudienceInvalid("an item audience needs itemCode")
        if data.audience.kind == "list" and not data.audience.citizen_ids:
            raise AudienceInvalid("a list audience needs citizenIds")
        notice_id = uuid.uuid4()
        await repo.insert_notice(
            conn,
            notice_id=notice_id,
            title=data.title,
            body=data.body,
            link=data.link,
            audience=msgspec.to_builtins(data.audience),
            # The inbox always, then the others asked for, in one order.
            channels=[c for c in NOTICE_CHANNELS if c == "inbox" or c in data.channels],
            created_by=staff.staff_id,
            send_at=data.send_at,
            urgent=data.urgent,
        )
        return await self.notice(conn, notice_id)

    async def approve_notice(
        self,
        conn: Connection,
        staff: StaffPrincipal,
        notice_id: uuid.UUID,
        approval: NoticeApproval | None = None,
    ) -> Notice:
        row = await self._locked(conn, notice_id)
        if row.status != "draft":
            raise NoticeStateConflict(status=row.status)
        if row.created_by == staff.staff_id:
            raise SelfApproval()  # four eyes: also a CHECK in the table
        sms: SmsFigures | None = None
        if row.urgent:
            # The approver approves the cost they saw: none shown, or another one, is refused
            # with the cost as it is now (shown again before a second try).
            sms = await self.sms_estimate(conn, row)
            seen = approval.sms_cost_fen if approval is not None else None
            if seen != sms.cost_fen:
                raise NoticeSmsCostChanged(
                    seenCostFen=seen, sms=msgspec.to_builtins(_estimate(sms, approved=False))
                )
        targeted = await self._count(conn, Selector.of(row.audience))
        await repo.approve_notice(conn, notice_id, staff.staff_id, targeted, sms)
        now = datetime.now(UTC)
        delay = row.send_at - now if row.send_at and row.send_at > now else None
        await jobs.enqueue(
            conn,
            NOTICE_BATCH_JOB,
            BatchJob(str(notice_id)),
            delay=delay,
            dedupe_key=f"notice:{notice_id}",
        )
        return await self.notice(conn, notice_id)

    async def cancel_notice(self, conn: Connection, notice_id: uuid.UUID) -> Notice:
        row = await self._locked(conn, notice_id)
        if row.status not in ("draft", "approved"):
            raise NoticeStateConflict(status=row.status)
        await repo.set_notice_status(conn, notice_id, "cancelled")
        return await self.notice(conn, notice_id)

    async def _locked(self, conn: Connection, notice_id: uuid.UUID) -> NoticeRow:
        row = await repo.notice(conn, notice_id, lock=True)
        if row is None:
            raise NoticeNotFound()
        return row

    async def notice(self, conn: Connection, notice_id: uuid.UUID) -> Notice:
        row = await repo.notice(conn, notice_id)
        if row is None:
            raise NoticeNotFound()
        read = await repo.notice_reads(conn, notice_id)
        sms: SmsEstimate | None = None
        if row.urgent and row.sms_cost_fen is not None:
            sms = SmsEstimate(
                recipients=row.sms_recipients or 0,
                parts=row.sms_parts or 1,
                price_fen=row.sms_price_fen or 0,
                cost_fen=row.sms_cost_fen,
                approved=True,
            )
        elif row.urgent and row.status == "draft":
            sms = _estimate(await self.sms_estimate(conn, row), approved=False)
        return Notice(
            id=str(row.id),
            title=row.title,
            body=row.body,
            link=row.link,
            audience=row.audience,
            channels=list(row.channels),
            urgent=row.urgent,
            sms=sms,
            status=row.status,
            created_by=str(row.created_by),
            approved_by=str(row.approved_by) if row.approved_by else None,
            send_at=row.send_at,
            created_at=row.created_at,
            finished_at=row.finished_at,
            figures=NoticeFigures(
                targeted=row.targeted,
                sent=row.sent,
                read=read,
                channels=_channel_figures(
                    row, read, await repo.notice_channel_counts(conn, notice_id)
                ),
            ),
        )

    async def notices(self, conn: Connection, limit: int) -> list[Notice]:
        return [
            await self.notice(conn, notice_id) for notice_id in await repo.notice_ids(conn, limit)
        ]

    # --- sending ----------------------------------------------------------------------------------

    async def send_notice_batch(
        self, conn: Connection, notice_id: uuid.UUID, batch_size: int = BATCH_SIZE
    ) -> bool:
        """One batch, and the next one enqueued, in the caller's transaction. Returns whether
        more follow."""
        row = await repo.notice(conn, notice_id, lock=True)
        if row is None or row.status not in ("approved", "sending"):
            return False  # cancelled (or gone) before this batch
        template = self.settings.template_notice if "wechat" in row.channels else None
        last, citizens = await self._page(
            conn, Selector.of(row.audience), row.cursor or _FIRST, batch_size
        )
        if last is None:
            await repo.set_notice_status(conn, notice_id, "sent")
            return False
        wechat: Sequence[tuple[uuid.UUID, str]] = []
        if template is not None and citizens:
            addresses = await self.recipients.push_openids(conn, citizens)
            wechat = [(a.citizen_id, a.openid) for a in addresses]
        phoned: Sequence[uuid.UUID] = []
        if row.urgent and citizens:
            phoned = await self.recipients.push_with_phone(conn, citizens)
        queued = await repo.write_notice_batch(
            conn, row, citizens, wechat, template, app="app" in row.channels, sms=phoned
        )
        for channel, message_ids in (
            ("wechat", queued.wechat),
            ("app", queued.app),
            ("sms", queued.sms),
        ):
            if message_ids:
                await jobs.enqueue(
                    conn,
                    NOTICE_CHANNEL_JOB,
                    ChannelBatchJob(channel, [str(m) for m in message_ids]),
                )
        await repo.advance_notice(conn, notice_id, last)
        await jobs.enqueue(conn, NOTICE_BATCH_JOB, BatchJob(str(notice_id)))
        return True

    async def tag_citizens(
        self, conn: Connection, staff: StaffPrincipal, data: TagRequest
    ) -> TagResult:
        """An uploaded list of citizens gets a tag (a segment notices can address later)."""
        existing = await self.recipients.push_existing(conn, data.citizen_ids)
        tagged = await repo.tag_citizens(conn, data.tag, existing, staff.staff_id)
        return TagResult(tag=data.tag, tagged=tagged)


def _estimate(sms: SmsFigures, *, approved: bool) -> SmsEstimate:
    return SmsEstimate(
        recipients=sms.recipients,
        parts=sms.parts,
        price_fen=sms.price_fen,
        cost_fen=sms.cost_fen,
        approved=approved,
    )


# Channels whose provider reports delivery (receipts folded in by push.receipts).
_RECEIPTS = frozenset({"app", "sms"})


def _channel_figures(
    row: NoticeRow, read: int, counts: list[ChannelCount]
) -> dict[str, ChannelFigures]:
    """Per channel: the inbox (written, read), then each other channel the notice uses."""
    figures = {"inbox": ChannelFigures(sent=row.sent, read=read)}
    used = [c for c in ("wechat", "app") if c in row.channels] + (["sms"] if row.urgent else [])
    used += sorted({c.channel for c in counts} - set(used))
    for channel in used:
        mine = [c for c in counts if c.channel == channel]

        def total(*statuses: str, rows: list[ChannelCount] = mine) -> int:
            return sum(c.n for c in rows if c.status in statuses)

        figures[channel] = ChannelFigures(
            queued=total("queued"),
            sent=total("sent", "delivered"),
            delivered=total("delivered") if channel in _RECEIPTS else None,
            failed=total("failed"),
            skipped=sum(c.n for c in mine if c.status == "skipped" and not c.no_quota),
            quota_misses=(
                row.wechat_quota_misses + sum(c.n for c in mine if c.no_quota)
                if channel == "wechat"
                else None
            ),
        )
    return figures
