"""Notices to citizens (通知公告): draft → approved by another person → sent in batches.

Each batch writes its inbox messages and enqueues the next batch in one transaction, keyed by
the last citizen done: a worker killed mid-batch rolls the batch back and the queue runs it
again, so every recipient gets the notice exactly once (the inbox's unique dedupe key is the
second guard).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import asyncpg
import msgspec

from core import jobs
from core.db import Connection, Pool
from core.errors import Conflict, DomainError, NotFound
from core.principals import StaffPrincipal
from push import repository as repo

NOTICE_BATCH_JOB = "push.notice_batch"
BATCH_SIZE = 1000


class NoticeNotFound(NotFound):
    code = "NOTICE_NOT_FOUND"


class NoticeStateConflict(Conflict):
    code = "NOTICE_STATE_CONFLICT"


class SelfApproval(DomainError):
    status_code = 403
    code = "NOTICE_SELF_APPROVAL"


class AudienceInvalid(DomainError):
    """The audience's kind lacks what it needs (a region audience without its region...): the
    schema carries every other rule, so this refusal of a well-formed draft is a 400."""

    code = "NOTICE_AUDIENCE_INVALID"


Title = msgspec.Meta(min_length=1, max_length=60)
Body = msgspec.Meta(min_length=1, max_length=2000)
RegionCode = msgspec.Meta(pattern=r"^[0-9]{6}$")


class Audience(msgspec.Struct, rename="camel", kw_only=True, forbid_unknown_fields=True):
    kind: Literal["all", "region", "tag", "item", "list"]
    # region: household registration in this region (620000 province, 620100 city, 620102
    # district); item: citizens who applied for this item; list: these citizen ids.
    region_code: Annotated[str, RegionCode] | None = None
    tag: str | None = None
    item_code: str | None = None
    citizen_ids: list[uuid.UUID] = []


class NoticeDraft(msgspec.Struct, rename="camel", kw_only=True, forbid_unknown_fields=True):
    title: Annotated[str, Title]
    body: Annotated[str, Body]
    audience: Audience
    link: str | None = None
    # The inbox always; WeChat (long-term notice template) for citizens who granted it.
    channels: list[Literal["inbox", "wechat"]] = msgspec.field(default_factory=lambda: ["inbox"])
    # With its offset: a bare "09:00" would be read in the server's zone, not Beijing's.
    send_at: Annotated[datetime, msgspec.Meta(tz=True)] | None = None


class NoticeFigures(msgspec.Struct, rename="camel", kw_only=True):
    targeted: int | None
    sent: int
    read: int
    # Per channel beyond the inbox: {"wechat": {"sent": n, "delivered": n, "failed": n, …}}.
    channels: dict[str, dict[str, int]] = {}


class Notice(msgspec.Struct, rename="camel", kw_only=True):
    id: str
    title: str
    body: str
    link: str | None
    audience: dict[str, Any]
    channels: list[str]
    status: str
    created_by: str
    approved_by: str | None
    send_at: datetime | None
    created_at: datetime
    finished_at: datetime | None
    figures: NoticeFigures


class BatchJob(msgspec.Struct):
    notice_id: str


def _audience(raw: dict[str, Any]) -> tuple[str, str | None, list[uuid.UUID]]:
    selector = {"region": raw.get("regionCode"), "tag": raw.get("tag")}.get(
        raw["kind"], raw.get("itemCode")
    )
    return raw["kind"], selector, [uuid.UUID(str(i)) for i in raw.get("citizenIds", [])]


async def draft(conn: Connection, staff: StaffPrincipal, data: NoticeDraft) -> Notice:
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
        conn, notice_id=notice_id, title=data.title, body=data.body, link=data.link,
        audience=msgspec.to_builtins(data.audience), channels=list(data.channels),
        created_by=staff.staff_id, send_at=data.send_at,
    )  # fmt: skip
    return await get(conn, notice_id)


async def approve(conn: Connection, staff: StaffPrincipal, notice_id: uuid.UUID) -> Notice:
    row = await _locked(conn, notice_id)
    if row["status"] != "draft":
        raise NoticeStateConflict(status=row["status"])
    if row["created_by"] == staff.staff_id:
        raise SelfApproval()  # four eyes: also a CHECK in the table
    targeted = await repo.count_audience(conn, *_audience(row["audience"]))
    await repo.approve_notice(conn, notice_id, staff.staff_id, targeted)
    now = datetime.now(UTC)
    delay = row["send_at"] - now if row["send_at"] and row["send_at"] > now else None
    await jobs.enqueue(
        conn, NOTICE_BATCH_JOB, BatchJob(str(notice_id)), delay=delay,
        dedupe_key=f"notice:{notice_id}",
    )  # fmt: skip
    return await get(conn, notice_id)


async def cancel(conn: Connection, notice_id: uuid.UUID) -> Notice:
    row = await _locked(conn, notice_id)
    if row["status"] not in ("draft", "approved"):
        raise NoticeStateConflict(status=row["status"])
    await repo.set_notice_status(conn, notice_id, "cancelled")
    return await get(conn, notice_id)


async def _locked(conn: Connection, notice_id: uuid.UUID) -> asyncpg.Record:
    row = await repo.notice(conn, notice_id, lock=True)
    if row is None:
        raise NoticeNotFound()
    return row


async def get(conn: Connection, notice_id: uuid.UUID) -> Notice:
    row = await repo.notice(conn, notice_id)
    if row is None:
        raise NoticeNotFound()
    read = await repo.notice_reads(conn, notice_id)
    return Notice(
        id=str(row["id"]), title=row["title"], body=row["body"], link=row["link"],
        audience=row["audience"], channels=list(row["channels"]), status=row["status"],
        created_by=str(row["created_by"]),
        approved_by=str(row["approved_by"]) if row["approved_by"] else None,
        send_at=row["send_at"], created_at=row["created_at"], finished_at=row["finished_at"],
        figures=NoticeFigures(
            targeted=row["targeted"], sent=row["sent"], read=read,
            channels=await repo.notice_channel_figures(conn, notice_id),
        ),
    )  # fmt: skip


async def list_notices(conn: Connection, limit: int) -> list[Notice]:
    return [await get(conn, notice_id) for notice_id in await repo.notice_ids(conn, limit)]


class ChannelBatchJob(msgspec.Struct):
    channel: str
    message_ids: list[str]


NOTICE_CHANNEL_JOB = "push.notice_channel_batch"


async def send_batch(
    pool: Pool, notice_id: uuid.UUID, wechat_template: str, batch_size: int = BATCH_SIZE
) -> bool:
    """One batch, and the next one enqueued, in one transaction. Returns whether more follow."""
    async with pool.acquire() as conn, conn.transaction():
        row = await repo.notice(conn, notice_id, lock=True)
        if row is None or row["status"] not in ("approved", "sending"):
            return False  # cancelled (or gone) before this batch
        template = wechat_template if "wechat" in row["channels"] else None
        last, queued = await repo.write_notice_batch(
            conn, row, batch_size, *_audience(row["audience"]), template
        )
        if queued:
            await jobs.enqueue(
                conn, NOTICE_CHANNEL_JOB, ChannelBatchJob("wechat", [str(m) for m in queued])
            )
        if last is None:
            await repo.set_notice_status(conn, notice_id, "sent")
            return False
        await repo.advance_notice(conn, notice_id, last)
        await jobs.enqueue(conn, NOTICE_BATCH_JOB, BatchJob(str(notice_id)))
        return True


class TagRequest(msgspec.Struct, rename="camel", kw_only=True, forbid_unknown_fields=True):
    tag: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    citizen_ids: Annotated[list[uuid.UUID], msgspec.Meta(min_length=1, max_length=100_000)]


class TagResult(msgspec.Struct, rename="camel", kw_only=True):
    tag: str
    tagged: int


async def tag_citizens(conn: Connection, staff: StaffPrincipal, data: TagRequest) -> TagResult:
    """An uploaded list of citizens gets a tag (a segment notices can address later)."""
    tagged = await repo.tag_citizens(conn, data.tag, data.citizen_ids, staff.staff_id)
    return TagResult(tag=data.tag, tagged=tagged)
