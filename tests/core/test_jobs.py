"""Durable jobs: enqueued in the request's transaction, retried with backoff, dead-lettered."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import asyncpg
import msgspec
from litestar import Litestar, post
from litestar.di import NamedDependency, Provide

from core.db import create_pool, provide_transaction
from core.errors import Conflict, exception_handlers
from core.jobs import Deferred, JobRegistry, JobSubject, build_worker, enqueue, subject_of
from core.settings import DatabaseSettings, JobSettings, Secret
from tests.fixtures.servers import serve_in_process


class Note(msgspec.Struct):
    text: str


def _app(pool: asyncpg.Pool) -> Litestar:
    @post("/ok")
    async def ok(db_connection: NamedDependency[asyncpg.Connection]) -> dict[str, str]:
        await enqueue(db_connection, "test.note", Note("kept"))
        return {"status": "ok"}

    @post("/fails-after-enqueue")
    async def fails(db_connection: NamedDependency[asyncpg.Connection]) -> None:
        await enqueue(db_connection, "test.note", Note("must vanish"))
        raise Conflict("rule broken after the job was enqueued")

    return Litestar(
        route_handlers=[ok, fails],
        dependencies={
            "db_pool": Provide(lambda: pool, sync_to_thread=False),
            "db_connection": Provide(provide_transaction),
        },
        exception_handlers=exception_handlers(),
    )


async def _jobs(db: asyncpg.Connection) -> list[asyncpg.Record]:
    return list(await db.fetch("SELECT entrypoint, payload, status FROM pgqueuer ORDER BY id"))


async def test_request_failing_after_enqueue_leaves_no_job(
    database_url: str, db: asyncpg.Connection
) -> None:
    pool = await create_pool(DatabaseSettings(url=Secret(database_url), pool_min_size=1))
    try:
        async with serve_in_process(_app(pool)) as client:
            failed = await client.post("/fails-after-enqueue")
            assert failed.status_code == 409
            assert failed.headers["content-type"].startswith("application/problem+json")
            assert failed.json()["code"] == "CONFLICT"
            assert await _jobs(db) == []

            ok = await client.post("/ok")
            assert ok.status_code == 201
    finally:
        await pool.close()
    jobs = await _jobs(db)
    assert len(jobs) == 1
    assert msgspec.json.decode(jobs[0]["payload"], type=Note) == Note("kept")


async def test_dedupe_key_never_doubles_a_queued_job(db: asyncpg.Connection) -> None:
    assert await enqueue(db, "test.note", Note("a"), dedupe_key="same") is True
    assert await enqueue(db, "test.note", Note("b"), dedupe_key="same") is False
    assert len(await _jobs(db)) == 1


async def _queue_empty(pool: asyncpg.Pool) -> bool:
    return await pool.fetchval("SELECT count(*) FROM pgqueuer") == 0


async def _run_worker_until(
    database_url: str, registry: JobRegistry, done: Any, timeout: float = 20
) -> None:
    settings = JobSettings(max_attempts=3, initial_delay_s=0.01, max_delay_s=0.05)
    pool = await create_pool(DatabaseSettings(url=Secret(database_url), pool_min_size=1))
    conn = await asyncpg.connect(database_url)
    try:
        worker = build_worker(conn, pool, registry, settings)
        # Polls often: a job re-queued just as the worker looked may wait for the next poll.
        task = asyncio.create_task(worker.run(batch_size=5, dequeue_timeout=timedelta(seconds=0.5)))
        try:
            async with asyncio.timeout(timeout):
                while not await done(pool):
                    await asyncio.sleep(0.05)
        finally:
            worker.shutdown.set()
            await asyncio.wait_for(task, 10)
    finally:
        await conn.close()
        await pool.close()


async def test_failing_job_is_retried_then_succeeds(
    database_url: str, db: asyncpg.Connection
) -> None:
    calls: list[str] = []

    async def flaky(note: Note) -> None:
        calls.append(note.text)
        if len(calls) < 3:
            raise RuntimeError("outside system down")

    registry = JobRegistry()
    registry.register("test.flaky", flaky, Note)
    await enqueue(db, "test.flaky", Note("hello"))

    await _run_worker_until(database_url, registry, _queue_empty)
    assert calls == ["hello", "hello", "hello"]
    assert await db.fetchval("SELECT count(*) FROM job_dead_letters") == 0


async def test_job_failing_every_attempt_lands_in_dead_letters(
    database_url: str, db: asyncpg.Connection
) -> None:
    async def broken(note: Note) -> None:
        raise ValueError(f"cannot handle {note.text}")

    registry = JobRegistry()
    registry.register("test.broken", broken, Note)
    await enqueue(db, "test.broken", Note("poison"))

    async def parked(pool: asyncpg.Pool) -> bool:
        return await pool.fetchval("SELECT count(*) FROM job_dead_letters") == 1

    await _run_worker_until(database_url, registry, parked)
    dead = await db.fetchrow("SELECT * FROM job_dead_letters")
    assert dead is not None
    assert dead["entrypoint"] == "test.broken"
    assert dead["attempts"] >= 3
    assert "poison" in dead["payload"]


async def test_schedules_are_registered_once(database_url: str, db: asyncpg.Connection) -> None:
    async def tick(_: None) -> None:
        return None

    registry = JobRegistry()
    registry.register("test.tick", tick)
    registry.every("*/5 * * * *", "test.tick")

    async def scheduled(pool: asyncpg.Pool) -> bool:
        return await pool.fetchval("SELECT count(*) FROM pgqueuer_schedules") == 1

    await _run_worker_until(database_url, registry, scheduled)
    row = await db.fetchrow("SELECT entrypoint, expression FROM pgqueuer_schedules")
    assert row is not None
    assert row["entrypoint"] == "schedule:test.tick"


async def test_parked_job_calls_its_dead_letter_hook(
    database_url: str, db: asyncpg.Connection
) -> None:
    dead: list[tuple[Note, str]] = []

    async def broken(note: Note) -> None:
        raise ValueError(f"cannot handle {note.text}")

    async def on_dead(note: Note, error: BaseException) -> None:
        dead.append((note, type(error).__name__))

    registry = JobRegistry()
    registry.register("test.broken", broken, Note, on_dead=on_dead)
    await enqueue(db, "test.broken", Note("poison"))

    async def parked(pool: asyncpg.Pool) -> bool:
        return await pool.fetchval("SELECT count(*) FROM job_dead_letters") == 1

    await _run_worker_until(database_url, registry, parked)
    assert dead == [(Note("poison"), "ValueError")]  # once, when parked, not on each attempt
    spec = registry.specs["test.broken"]
    payload = await db.fetchval("SELECT payload FROM pgqueuer")
    # No describe registered: the subject comes from the payload, or is the job itself.
    assert subject_of(spec, "test.broken", payload).kind == "job"
    assert subject_of(None, "x.y", b'{"order_id": "o-1"}') == JobSubject(
        kind="order", id="o-1", summary="订单 o-1：x.y"
    )


async def test_deferred_job_waits_without_spending_attempts(
    database_url: str, db: asyncpg.Connection
) -> None:
    calls: list[str] = []

    async def rate_limited(note: Note) -> None:
        calls.append(note.text)
        if len(calls) <= 6:  # twice max_attempts: failures would have parked it
            raise Deferred(timedelta(seconds=0.01), "provider window")

    registry = JobRegistry()
    registry.register("test.limited", rate_limited, Note)
    await enqueue(db, "test.limited", Note("wait"))

    await _run_worker_until(database_url, registry, _queue_empty)
    assert len(calls) == 7
    assert await db.fetchval("SELECT count(*) FROM job_dead_letters") == 0


async def test_a_deferred_job_whose_wait_cannot_be_uncounted_still_comes_back(
    database_url: str, db: asyncpg.Connection
) -> None:
    """Taking the attempt back fails (here the database refuses the update): the wait counts
    as an attempt, and the job is queued again rather than lost."""
    await db.execute(
        """CREATE FUNCTION refuse_uncount() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN
             IF NEW.attempts < OLD.attempts THEN RAISE EXCEPTION 'uncount refused'; END IF;
             RETURN NEW;
           END $$;
           CREATE TRIGGER refuse_uncount BEFORE UPDATE ON pgqueuer
              FOR EACH ROW EXECUTE FUNCTION refuse_uncount();"""
    )
    calls: list[str] = []

    async def waits_once(note: Note) -> None:
        calls.append(note.text)
        if len(calls) == 1:
            raise Deferred(timedelta(seconds=0.01), "provider window")

    registry = JobRegistry()
    registry.register("test.waits", waits_once, Note)
    await enqueue(db, "test.waits", Note("wait"))

    await _run_worker_until(database_url, registry, _queue_empty)
    assert calls == ["wait", "wait"]
    statuses = [r["status"] for r in await db.fetch("SELECT status FROM pgqueuer_log ORDER BY id")]
    assert "exception" not in statuses and statuses[-1] == "successful"
