"""core.idempotency on a real PostgreSQL: a copy waits for the first request's transaction and
gets its answer if it committed, runs as new if it rolled back; old keys are purged."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import msgspec
import pytest

from core import idempotency
from core.errors import Conflict, IdempotencyKeyReused
from core.jobs import JobRegistry
from tests.fixtures.waiting import eventually


class Answer(msgspec.Struct, rename="camel"):
    made_by: str
    serial: int


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    async with asyncpg.create_pool(database_url, min_size=1, max_size=4) as opened:
        yield opened


@pytest.fixture
async def citizen(pool: asyncpg.Pool) -> uuid.UUID:
    citizen_id = uuid.uuid4()
    await pool.execute("INSERT INTO citizens (id) VALUES ($1)", citizen_id)
    return citizen_id


async def _waiting_on_a_lock(pool: asyncpg.Pool) -> bool:
    return bool(await pool.fetchval(
        "SELECT count(*) > 0 FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    ))  # fmt: skip


async def _request(
    pool: asyncpg.Pool,
    citizen: uuid.UUID,
    made_by: str,
    *,
    key: str = "key-00000001",
    body: Any = None,
    hold: asyncio.Event | None = None,
    entered: asyncio.Event | None = None,
    fail: bool = False,
) -> tuple[int, bytes, bool]:
    """One request in its own transaction, as core.db.provide_transaction runs it."""

    async def run() -> Answer:
        if entered is not None:
            entered.set()  # the claim is made: the work only runs after it
        if hold is not None:
            await hold.wait()
        if fail:
            raise Conflict("refused")
        return Answer(made_by, await conn.fetchval("SELECT count(*) FROM idempotency_keys"))

    async with pool.acquire() as conn, conn.transaction():
        response = await idempotency.once(
            conn, citizen_id=citizen, route="test.route", key=key,
            request=body or {"target": "t-1"}, run=run,
        )  # fmt: skip
    replayed = response.headers.get(idempotency.REPLAYED_HEADER) == "true"
    return response.status_code, response.content, replayed


async def test_a_copy_waits_for_the_first_and_gets_its_answer(
    pool: asyncpg.Pool, citizen: uuid.UUID
) -> None:
    hold, entered = asyncio.Event(), asyncio.Event()
    first = asyncio.create_task(_request(pool, citizen, "first", hold=hold, entered=entered))
    await entered.wait()  # the first holds its claim
    copy = asyncio.create_task(_request(pool, citizen, "copy"))
    await eventually(lambda: _waiting_on_a_lock(pool))  # the copy waits on the key
    hold.set()

    status, body, replayed = await first
    assert (status, replayed) == (200, False)
    assert msgspec.json.decode(body) == {"madeBy": "first", "serial": 1}
    assert await copy == (200, body, True)


async def test_a_copy_runs_as_new_when_the_first_rolls_back(
    pool: asyncpg.Pool, citizen: uuid.UUID
) -> None:
    hold, entered = asyncio.Event(), asyncio.Event()
    first = asyncio.create_task(
        _request(pool, citizen, "first", hold=hold, entered=entered, fail=True)
    )
    await entered.wait()  # the first holds its claim
    copy = asyncio.create_task(_request(pool, citizen, "copy"))
    await eventually(lambda: _waiting_on_a_lock(pool))
    hold.set()

    with pytest.raises(Conflict):
        await first
    status, body, replayed = await copy
    assert (status, replayed) == (200, False)
    assert msgspec.json.decode(body)["madeBy"] == "copy"
    assert await _request(pool, citizen, "later") == (200, body, True)


async def test_the_key_with_another_request_is_refused_and_keys_are_scoped(
    pool: asyncpg.Pool, citizen: uuid.UUID
) -> None:
    _, body, _ = await _request(pool, citizen, "first")
    with pytest.raises(IdempotencyKeyReused) as refused:
        await _request(pool, citizen, "other", body={"target": "t-2"})
    assert refused.value.status_code == 422
    # Two spellings of one body are one request.
    spelled = {"b": 1, "a": [1, 2]}
    await _request(pool, citizen, "x", key="key-00000002", body=spelled)
    replay = await _request(pool, citizen, "y", key="key-00000002", body={"a": [1, 2], "b": 1})
    assert replay[2] is True
    # Another citizen's key of the same spelling is theirs.
    other = uuid.uuid4()
    await pool.execute("INSERT INTO citizens (id) VALUES ($1)", other)
    status, theirs, replayed = await _request(pool, other, "theirs")
    assert (status, replayed) == (200, False) and theirs != body


async def test_a_refusal_that_keeps_its_changes_keeps_no_claim(
    pool: asyncpg.Pool, citizen: uuid.UUID
) -> None:
    async def refuse() -> None:
        raise Conflict("counted", keep_changes=True)

    async with pool.acquire() as conn, conn.transaction():  # committed, as for keep_changes
        with pytest.raises(Conflict):
            await idempotency.once(
                conn, citizen_id=citizen, route="test.route", key="key-00000001",
                request={"target": "t-1"}, run=refuse,
            )  # fmt: skip
    assert await pool.fetchval("SELECT count(*) FROM idempotency_keys") == 0
    assert (await _request(pool, citizen, "next"))[2] is False


async def test_keys_older_than_a_day_are_purged(pool: asyncpg.Pool, citizen: uuid.UUID) -> None:
    _, old_body, _ = await _request(pool, citizen, "old", key="key-00000001")
    _, young_body, _ = await _request(pool, citizen, "young", key="key-00000002")
    await pool.execute(
        "UPDATE idempotency_keys SET created_at = now() - $1::interval - interval '1 minute' "
        "WHERE key = 'key-00000001'",
        idempotency.TTL,
    )

    # The worker's hourly job does it (registered by the composition root, api/worker.py).
    registry = JobRegistry()
    idempotency.register(registry, pool)
    assert (idempotency.PURGE_CRON, idempotency.PURGE_JOB) in registry.schedules
    await registry.specs[idempotency.PURGE_JOB].handler(None)
    assert await pool.fetchval("SELECT array_agg(key) FROM idempotency_keys") == ["key-00000002"]

    assert await _request(pool, citizen, "anew", key="key-00000002") == (200, young_body, True)
    status, body, replayed = await _request(pool, citizen, "anew", key="key-00000001")
    assert (status, replayed) == (200, False) and body != old_body
