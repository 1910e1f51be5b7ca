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
from push.errors import AudienceInvalid, NoticeNotFound, NoticeStateConflict, SelfApproval
from push.repository import notices as repo
from push.repository.notices import NoticeRow
from push.schemas import (
    NOTICE_BATCH_JOB,
    NOTICE_CHANNEL_JOB,
    BatchJob,
    ChannelBatchJob,
    Notice,
    NoticeDraft,
    NoticeFigures,
    TagRequest,
    TagResult,
)
from push.service.base import PushBase

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
            channels=list(data.channels),
            created_by=staff.staff_id,
            send_at=data.send_at,
        )
        return await self.notice(conn, notice_id)

    async def approve_notice(
        self, conn: Connection, staff: StaffPrincipal, notice_id: uuid.UUID
    ) -> Notice:
        row = await self._locked(conn, notice_id)
        if row.status != "draft":
            raise NoticeStateConflict(status=row.status)
        if row.created_by == staff.staff_id:
            raise SelfApproval()  # four eyes: also a CHECK in the table
        targeted = await self._count(conn, Selector.of(row.audience))
        await repo.approve_notice(conn, notice_id, staff.staff_id, targeted)
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
        return Notice(
            id=str(row.id),
            title=row.title,
            body=row.body,
            link=row.link,
            audience=row.audience,
            channels=list(row.channels),
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
                channels=await repo.notice_channel_figures(conn, notice_id),
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
        queued = await repo.write_notice_batch(conn, row, citizens, wechat, template)
        if queued:
            await jobs.enqueue(
                conn, NOTICE_CHANNEL_JOB, ChannelBatchJob("wechat", [str(m) for m in queued])
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
