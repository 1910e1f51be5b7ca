"""A worker's notice batches write their WeChat outcomes together (one group commit for the
whole worker, not one per batch), and a batch ends only once its own outcomes are committed:
what a finished job sent is on record. A write that fails is raised in every batch that had an
outcome in it, and the writer goes on with the next."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest

from api.composition import Services
from push.service.deliveries import SendOutcome
from push.tasks import GroupCommit


async def _queued(db: asyncpg.Connection, count: int) -> list[uuid.UUID]:
    """``count`` inbox messages, each with a queued WeChat delivery."""
    rows = await db.fetch(
        """WITH c AS (INSERT INTO citizens (id) SELECT gen_random_uuid()
                        FROM generate_series(1, $1) RETURNING id),
                m AS (INSERT INTO inbox_messages (id, citizen_id, event_type, title, body,
                                                  dedupe_key)
                      SELECT gen_random_uuid(), id, 'notice', 't', 'b', 'group-commit' FROM c
                      RETURNING id)
           INSERT INTO push_deliveries (message_id, channel) SELECT id, 'wechat' FROM m
           RETURNING message_id""",
        count,
    )
    return [r["message_id"] for r in rows]


def _sent(message_id: uuid.UUID) -> SendOutcome:
    return SendOutcome(message_id=message_id, status="sent", provider_id=f"msg-{message_id}")


async def _writes(db: asyncpg.Connection, ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[str, str]]:
    """Each delivery's status and the transaction that last wrote it."""
    rows = await db.fetch(
        """SELECT message_id, status, xmin::text AS tx FROM push_deliveries
            WHERE message_id = ANY($1::uuid[]) AND channel = 'wechat'""",
        ids,
    )
    return {r["message_id"]: (r["status"], r["tx"]) for r in rows}


async def test_batches_share_one_write_and_end_once_their_outcomes_are_committed(
    services: Services, db: asyncpg.Connection
) -> None:
    recorder = GroupCommit(services.infra.pool, services.push)
    first, second = await _queued(db, 3), await _queued(db, 2)
    # Two batches' outcomes arrive within the same moment.
    first_writes = {recorder.add(_sent(m)) for m in first}
    second_writes = {recorder.add(_sent(m)) for m in second}
    await GroupCommit.wait_for(first_writes)
    # The first batch may end: its outcomes are committed (seen from another connection)...
    written = await _writes(db, first + second)
    assert {written[m][0] for m in first} == {"sent"}
    # ...in the same transaction as the other batch's: one write for the worker, not per batch.
    await GroupCommit.wait_for(second_writes)
    written = await _writes(db, first + second)
    assert {status for status, _ in written.values()} == {"sent"}
    assert len({tx for _, tx in written.values()}) == 1


async def test_a_failed_write_is_raised_in_each_batch_that_had_an_outcome_in_it(
    services: Services, db: asyncpg.Connection
) -> None:
    recorder = GroupCommit(services.infra.pool, services.push)
    first, second = await _queued(db, 2), await _queued(db, 2)
    # An outcome the delivery log refuses (its status CHECK) fails the whole write.
    bad = SendOutcome(message_id=first[1], status="lost")
    first_writes = {recorder.add(_sent(first[0])), recorder.add(bad)}
    second_writes = {recorder.add(_sent(m)) for m in second}
    for writes in (first_writes, second_writes):
        with pytest.raises(asyncpg.CheckViolationError):
            await GroupCommit.wait_for(writes)
    # Nothing of that write is on record: every delivery in it is still queued (its batch's
    # retry sends them again, as a retry sends whatever is still queued).
    assert {s for s, _ in (await _writes(db, first + second)).values()} == {"queued"}
    # The writer goes on: the next outcomes are written.
    await GroupCommit.wait_for({recorder.add(_sent(m)) for m in second})
    assert {s for s, _ in (await _writes(db, second)).values()} == {"sent"}


async def test_a_batch_cancelled_while_it_waits_leaves_the_write_to_the_others(
    services: Services, db: asyncpg.Connection
) -> None:
    recorder = GroupCommit(services.infra.pool, services.push)
    first, second = await _queued(db, 1), await _queued(db, 1)
    waiting = asyncio.create_task(GroupCommit.wait_for({recorder.add(_sent(first[0]))}))
    second_writes = {recorder.add(_sent(second[0]))}
    await asyncio.sleep(0)
    waiting.cancel()
    await GroupCommit.wait_for(second_writes)
    assert {s for s, _ in (await _writes(db, first + second)).values()} == {"sent"}
