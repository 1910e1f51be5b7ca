"""Durable jobs on PostgreSQL (pgqueuer), enqueued inside the caller's transaction.

``enqueue`` writes the job on the connection it is given, so the job commits or rolls back
with the change it follows (transactional outbox). The worker runs handlers registered in a
``JobRegistry``: failures are retried with full-jitter exponential backoff; after
``max_attempts`` the job is parked with status ``failed`` (dead letter, see the
``job_dead_letters`` view) instead of being dropped.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, Generic, TypeVar, cast

import asyncpg
import msgspec
from pgqueuer import PgQueuer
from pgqueuer.db import AsyncpgDriver
from pgqueuer.errors import RetryRequested
from pgqueuer.executors import DatabaseRetryEntrypointExecutor, EntrypointExecutorParameters
from pgqueuer.models import Context, Job
from pgqueuer.queries import Queries

from core.db import Connection, Pool
from core.http import backoff_delay
from core.settings import JobSettings

log = logging.getLogger(__name__)

P = TypeVar("P", bound=msgspec.Struct)


async def enqueue(
    conn: Connection,
    entrypoint: str,
    payload: msgspec.Struct | None = None,
    *,
    dedupe_key: str | None = None,
    delay: timedelta | None = None,
    priority: int = 0,
) -> bool:
    """Enqueue a job on ``conn`` (inside its open transaction). Returns False when a job with
    the same ``dedupe_key`` is already queued or running, so repeats never double it."""
    data = msgspec.json.encode(payload) if payload is not None else None
    # A pool proxy behaves as the connection it wraps; pgqueuer only types the latter.
    ids = await Queries(AsyncpgDriver(cast("asyncpg.Connection[asyncpg.Record]", conn))).enqueue(
        entrypoint,
        data,
        priority=priority,
        execute_after=delay,
        dedupe_key=dedupe_key,
        on_conflict="skip",
    )
    return ids[0] is not None


@dataclasses.dataclass
class _JitteredRetryExecutor(DatabaseRetryEntrypointExecutor):
    """pgqueuer's database-level retry, with full jitter so failed jobs do not retry in step."""

    async def execute(self, job: Job, context: Context) -> None:
        try:
            await super().execute(job, context)
        except RetryRequested as retry:
            if retry.delay <= timedelta(0):
                raise
            delay = backoff_delay(
                job.attempts,
                self.initial_delay.total_seconds(),
                self.max_delay.total_seconds(),
            )
            log.warning(
                "job failed, will retry",
                extra={
                    "entrypoint": job.entrypoint,
                    "job_id": job.id,
                    "attempt": job.attempts,
                    "retry_in_s": round(delay, 2),
                    "reason": retry.reason,
                },
            )
            raise RetryRequested(delay=timedelta(seconds=delay), reason=retry.reason) from retry


@dataclasses.dataclass(frozen=True)
class JobSpec(Generic[P]):
    entrypoint: str
    payload_type: type[P] | None
    handler: Callable[[Any], Awaitable[None]]
    concurrency_limit: int = 0
    # None: the settings' max_attempts. Jobs that must never give up (a citizen's submission
    # while the platform is down for days) set a number that outlasts any outage.
    max_attempts: int | None = None


class JobRegistry:
    """Handlers by entrypoint name and the periodic schedules that enqueue them."""

    def __init__(self) -> None:
        self.specs: dict[str, JobSpec[Any]] = {}
        self.schedules: list[tuple[str, str]] = []

    def register(
        self,
        entrypoint: str,
        handler: Callable[[Any], Awaitable[None]],
        payload_type: type[P] | None = None,
        *,
        concurrency_limit: int = 0,
        max_attempts: int | None = None,
    ) -> None:
        if entrypoint in self.specs:
            raise ValueError(f"job {entrypoint} registered twice")
        self.specs[entrypoint] = JobSpec(
            entrypoint, payload_type, handler, concurrency_limit, max_attempts
        )

    def every(self, cron: str, entrypoint: str) -> None:
        """Enqueue ``entrypoint`` on a cron schedule (once across all workers)."""
        self.schedules.append((cron, entrypoint))


def build_worker(
    conn: asyncpg.Connection[asyncpg.Record],
    pool: Pool,
    registry: JobRegistry,
    settings: JobSettings,
) -> PgQueuer:
    """A pgqueuer worker on ``conn`` (its own connection: it LISTENs for new jobs); scheduled
    ticks enqueue through ``pool`` so they never contend with the listener connection."""
    pgq = PgQueuer.from_asyncpg_connection(conn)

    def executor_factory(
        spec: JobSpec[Any],
    ) -> Callable[[EntrypointExecutorParameters], _JitteredRetryExecutor]:
        def make(params: EntrypointExecutorParameters) -> _JitteredRetryExecutor:
            return _JitteredRetryExecutor(
                parameters=params,
                max_attempts=spec.max_attempts or settings.max_attempts,
                initial_delay=timedelta(seconds=settings.initial_delay_s),
                max_delay=timedelta(seconds=settings.max_delay_s),
            )

        return make

    for spec in registry.specs.values():
        pgq.entrypoint(
            spec.entrypoint,
            concurrency_limit=spec.concurrency_limit,
            on_failure="hold",
            executor_factory=executor_factory(spec),
        )(_adapt(spec))

    for cron, entrypoint in registry.schedules:
        pgq.schedule(f"schedule:{entrypoint}", cron)(_scheduled_enqueue(pool, entrypoint))
    return pgq


def _adapt(spec: JobSpec[Any]) -> Callable[[Job], Awaitable[None]]:
    async def run(job: Job) -> None:
        payload: Any = None
        if spec.payload_type is not None:
            payload = msgspec.json.decode(job.payload or b"{}", type=spec.payload_type)
        await spec.handler(payload)

    run.__name__ = spec.entrypoint.replace(".", "_")
    return run


def _scheduled_enqueue(pool: Pool, entrypoint: str) -> Callable[..., Awaitable[None]]:
    async def tick(_schedule: Any) -> None:
        # The schedule only enqueues; the job itself gets the retries and the dead letter.
        async with pool.acquire() as conn:
            await enqueue(conn, entrypoint, dedupe_key=entrypoint)

    return tick
