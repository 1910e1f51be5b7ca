"""Durable jobs on PostgreSQL (pgqueuer), enqueued inside the caller's transaction.

``enqueue`` writes the job on the connection it is given, so the job commits or rolls back
with the change it follows (transactional outbox). The worker runs handlers registered in a
``JobRegistry``: failures are retried with full-jitter exponential backoff capped at
``max_delay_s``; after ``max_attempts`` the job is parked with status ``failed`` (dead letter,
see the ``job_dead_letters`` view) instead of being dropped, and its ``on_dead`` hook marks
what it was delivering as failed. Staff put a dead letter back in the queue (``on_retry``
undoes what ``on_dead`` marked) or discard it.

The job is the only retry layer: inside a handler the HTTP clients make one request per call
(``core.http.single_attempt``), so an outage costs one request per job attempt. A handler that
must wait for a known window (a provider's rate limit) raises ``Deferred``: the job runs again
after the window and the attempt is not counted.

``run_jobs`` keeps a worker going across database restarts: it reconnects with backoff, and
gives up (raises, so the process exits non-zero) only when the database stays away.

Stopping (SIGTERM in a rolling update) loses nothing: the worker takes no new job, the jobs it
is running get ``grace_s`` to finish, and those still running then are handed back: each stops
where it would start its next outside call (nothing sent for it yet; a call under way is
finished, and only cut after ``HAND_BACK_CUT_S``), its transaction rolls back, and it is put
back in the queue at once through pgqueuer's own retry (``RetryRequested``), the attempt not
counted, for another worker to run again (every handler is idempotent). A worker
killed outright (SIGKILL, OOM) hands nothing back: its jobs are picked up again once their
heartbeat is older than ``heartbeat_timeout_s``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import random
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, Generic, TypeVar, cast

import asyncpg
import msgspec
from pgqueuer import PgQueuer
from pgqueuer.db import AsyncpgDriver
from pgqueuer.domain.errors import retry_request
from pgqueuer.errors import RetryRequested
from pgqueuer.executors import EntrypointExecutor, EntrypointExecutorParameters
from pgqueuer.models import Context, Job
from pgqueuer.queries import Queries

from core.db import Connection, Pool
from core.errors import is_unavailable
from core.http import HandBack, backoff_delay, handing_back_on, single_attempt
from core.settings import JobSettings

log = logging.getLogger(__name__)

P = TypeVar("P", bound=msgspec.Struct)

__all__ = [
    "DatabaseGone",
    "Deferred",
    "JobRegistry",
    "JobSpec",
    "JobSubject",
    "Outage",
    "build_worker",
    "decode_payload",
    "enqueue",
    "run_jobs",
    "subject_of",
]


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


class Deferred(Exception):
    """Raised by a handler that must wait a known time before it can go on (a provider's
    per-recipient rate-limit window): the job runs again after ``delay``, and the attempt is
    not counted, so waiting never leads to a dead letter."""

    def __init__(self, delay: timedelta, reason: str) -> None:
        super().__init__(reason)
        self.delay = delay
        self.reason = reason


class JobSubject(msgspec.Struct, frozen=True, kw_only=True):
    """What a job concerns, for the people who look at a dead letter: a kind ("declaration",
    "message", "order"…), its id, and a short Chinese summary. Never personal data."""

    kind: str
    id: str
    summary: str


# Payload fields naming what a job concerns, when its domain registered no ``describe``.
_SUBJECT_FIELDS: dict[str, tuple[str, str]] = {
    "declaration_id": ("declaration", "申报"),
    "message_id": ("message", "消息"),
    "order_id": ("order", "订单"),
    "refund_id": ("refund", "退款"),
    "case_number": ("case", "办件"),
    "notice_id": ("notice", "公告"),
    "review_id": ("review", "评价"),
    "licence_number": ("licence", "证照"),
}


def subject_of(spec: JobSpec[Any] | None, entrypoint: str, payload: bytes | None) -> JobSubject:
    """The subject of a job from its payload: the domain's ``describe``, else the first
    payload field that names one, else only the job's name."""
    decoded: Any = None
    if spec is not None and spec.payload_type is not None and payload:
        with contextlib.suppress(msgspec.DecodeError):
            decoded = msgspec.json.decode(payload, type=spec.payload_type)
    if spec is not None and spec.describe is not None and decoded is not None:
        return spec.describe(decoded)
    raw: Any = None
    if payload:
        with contextlib.suppress(msgspec.DecodeError):
            raw = msgspec.json.decode(payload)
    if isinstance(raw, dict):
        for name, (kind, label) in _SUBJECT_FIELDS.items():
            if isinstance(value := raw.get(name), str | int):
                return JobSubject(
                    kind=kind, id=str(value), summary=f"{label} {value}：{entrypoint}"
                )
    return JobSubject(kind="job", id=entrypoint, summary=f"后台任务 {entrypoint}")


@dataclasses.dataclass
class _JitteredRetryExecutor(EntrypointExecutor):
    """Database-level retries with full jitter (failed jobs do not retry in step), the
    ``Deferred`` wait that does not count as an attempt, and the dead-letter hook."""

    spec: JobSpec[Any] | None = None
    pool: Pool | None = None
    max_attempts: int = 8
    initial_delay_s: float = 1.0
    max_delay_s: float = 60.0
    # Set when the worker stops and its grace period is over: running jobs go back to the queue.
    hand_back: asyncio.Event | None = None

    async def execute(self, job: Job, context: Context) -> None:
        try:
            await self._unless_handed_back(job, context)
        except _HandedBack:
            await self._uncount(job)
            log.warning(
                "job handed back to the queue: the worker is stopping",
                extra={"entrypoint": job.entrypoint, "job_id": job.id},
            )
            raise RetryRequested(delay=timedelta(0), reason="handed back at shutdown") from None
        except RetryRequested:
            raise
        except Deferred as deferred:
            await self._uncount(job)
            log.info(
                "job deferred",
                extra={
                    "entrypoint": job.entrypoint,
                    "job_id": job.id,
                    "reason": deferred.reason,
                    "retry_in_s": deferred.delay.total_seconds(),
                },
            )
            raise RetryRequested(delay=deferred.delay, reason=deferred.reason) from deferred
        except Exception as exc:
            if (retry := retry_request(exc)) is not None:
                raise retry from exc  # a task group's children asking for a retry
            if job.attempts >= self.max_attempts:
                await self._dead(job, exc)
                raise
            delay = backoff_delay(job.attempts, self.initial_delay_s, self.max_delay_s)
            log.warning(
                "job failed, will retry",
                extra={
                    "entrypoint": job.entrypoint,
                    "job_id": job.id,
                    "attempt": job.attempts,
                    "retry_in_s": round(delay, 2),
                    "reason": repr(exc)[:300],
                },
            )
            raise RetryRequested(delay=timedelta(seconds=delay), reason=str(exc)) from exc

    async def _unless_handed_back(self, job: Job, context: Context) -> None:
        """Run the job; once ``hand_back`` is set it stops at its next outside call (nothing
        sent for it yet, ``core.http.HandBack``) or finishes; one still in a call after
        ``HAND_BACK_CUT_S`` is cancelled where it is (its call may then be repeated: the
        platform's are keyed by our ids, a WeChat message would go twice)."""
        if self.hand_back is None:
            await super().execute(job, context)
            return
        with handing_back_on(self.hand_back):  # copied into the task's context
            run = asyncio.ensure_future(super().execute(job, context))
        back = asyncio.ensure_future(self.hand_back.wait())
        try:
            await asyncio.wait({run, back}, return_when=asyncio.FIRST_COMPLETED)
            if not run.done():
                await asyncio.wait({run}, timeout=HAND_BACK_CUT_S)
        finally:
            back.cancel()
            if not run.done():
                run.cancel()  # cut, or we were cancelled ourselves
        if not run.done():
            await asyncio.wait({run})
        if run.cancelled() or isinstance(run.exception(), HandBack):
            raise _HandedBack
        run.result()  # finished (or failed) on its own

    async def _uncount(self, job: Job) -> None:
        # pgqueuer adds one to attempts when it re-queues the job: take it back first. If that
        # fails for any reason (database unreachable, pool exhausted) the wait counts as an
        # attempt, which is harmless; raising here would lose the job instead of re-queueing it.
        if self.pool is None:
            return
        try:
            async with self.pool.acquire() as conn:
                await conn.execute(
                    "UPDATE pgqueuer SET attempts = attempts - 1 WHERE id = $1", job.id
                )
        except Exception as exc:  # noqa: BLE001 - see above
            log.warning(
                "could not uncount a deferred attempt",
                extra={"job_id": job.id, "reason": repr(exc)[:300]},
            )

    async def _dead(self, job: Job, exc: Exception) -> None:
        log.error(
            "job failed every attempt; parked as a dead letter",
            extra={
                "entrypoint": job.entrypoint,
                "job_id": job.id,
                "attempt": job.attempts,
                "reason": repr(exc)[:300],
            },
        )
        spec = self.spec
        if spec is None or spec.on_dead is None:
            return
        try:
            payload = decode_payload(spec, job.payload)
            await spec.on_dead(payload, exc)
        except Exception:
            # The job is parked either way; staff see it in the dead letters.
            log.exception("dead-letter hook failed", extra={"entrypoint": job.entrypoint})


class _HandedBack(Exception):
    """The job was cancelled at shutdown, to be run again by another worker."""


@dataclasses.dataclass(frozen=True)
class JobSpec(Generic[P]):
    entrypoint: str
    payload_type: type[P] | None
    handler: Callable[[Any], Awaitable[None]]
    concurrency_limit: int = 0
    # None: the settings' max_attempts. Jobs that must never give up (a citizen's submission
    # while the platform is down for days) set a number that outlasts any outage.
    max_attempts: int | None = None
    # Called in the worker when the job is parked after its last attempt, with the payload and
    # the last error: mark what the job was delivering as failed (nothing stays "queued").
    on_dead: Callable[[Any, BaseException], Awaitable[None]] | None = None
    # Called in the supervisor's transaction when a dead letter is put back in the queue:
    # undo what on_dead marked, so the job's next run does the work again.
    on_retry: Callable[[Connection, Any], Awaitable[None]] | None = None
    # What the job concerns, for the dead-letter view (default: from the payload's fields).
    describe: Callable[[Any], JobSubject] | None = None


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
        on_dead: Callable[[Any, BaseException], Awaitable[None]] | None = None,
        on_retry: Callable[[Connection, Any], Awaitable[None]] | None = None,
        describe: Callable[[Any], JobSubject] | None = None,
    ) -> None:
        if entrypoint in self.specs:
            raise ValueError(f"job {entrypoint} registered twice")
        self.specs[entrypoint] = JobSpec(
            entrypoint,
            payload_type,
            handler,
            concurrency_limit,
            max_attempts,
            on_dead,
            on_retry,
            describe,
        )

    def every(self, cron: str, entrypoint: str) -> None:
        """Enqueue ``entrypoint`` on a cron schedule (once across all workers)."""
        self.schedules.append((cron, entrypoint))


def build_worker(
    conn: asyncpg.Connection[asyncpg.Record],
    pool: Pool,
    registry: JobRegistry,
    settings: JobSettings,
    hand_back: asyncio.Event | None = None,
) -> PgQueuer:
    """A pgqueuer worker on ``conn`` (its own connection: it LISTENs for new jobs); scheduled
    ticks enqueue through ``pool`` so they never contend with the listener connection.
    Setting ``hand_back`` puts the jobs it runs back in the queue (see ``run_jobs``)."""
    pgq = PgQueuer.from_asyncpg_connection(conn)

    def executor_factory(
        spec: JobSpec[Any],
    ) -> Callable[[EntrypointExecutorParameters], _JitteredRetryExecutor]:
        def make(params: EntrypointExecutorParameters) -> _JitteredRetryExecutor:
            return _JitteredRetryExecutor(
                parameters=params,
                spec=spec,
                pool=pool,
                max_attempts=spec.max_attempts or settings.max_attempts,
                initial_delay_s=settings.initial_delay_s,
                max_delay_s=settings.max_delay_s,
                hand_back=hand_back,
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


def decode_payload(spec: JobSpec[Any], payload: bytes | None) -> Any:
    """The job's payload as its handler receives it."""
    if spec.payload_type is None:
        return None
    return msgspec.json.decode(payload or b"{}", type=spec.payload_type)


def _adapt(spec: JobSpec[Any]) -> Callable[[Job], Awaitable[None]]:
    async def run(job: Job) -> None:
        payload = decode_payload(spec, job.payload)
        # One request per outside call: the job's own backoff is the only retry layer.
        with single_attempt():
            await spec.handler(payload)

    run.__name__ = spec.entrypoint.replace(".", "_")
    return run


def _scheduled_enqueue(pool: Pool, entrypoint: str) -> Callable[..., Awaitable[None]]:
    async def tick(_schedule: Any) -> None:
        # The schedule only enqueues; the job itself gets the retries and the dead letter.
        async with pool.acquire() as conn:
            await enqueue(conn, entrypoint, dedupe_key=entrypoint)

    return tick


class DatabaseGone(RuntimeError):
    """The worker could not reach the database for ``give_up_after_s``: the process exits
    non-zero so that its supervisor restarts it."""


class Outage:
    """The database being away, as one worker sees it: each ``wait`` sleeps a jittered,
    growing delay before the next try, and raises ``DatabaseGone`` once the outage has lasted
    ``give_up_after_s``."""

    def __init__(self, settings: JobSettings) -> None:
        self._settings = settings
        self._since: float | None = None
        self._failures = 0

    def reset(self) -> None:
        self._since, self._failures = None, 0

    async def wait(self, exc: BaseException, stop: asyncio.Event) -> None:
        now = time.monotonic()
        self._since = self._since or now
        if now - self._since >= self._settings.give_up_after_s:
            raise DatabaseGone(f"no database for {now - self._since:.0f}s; giving up") from exc
        delay = _reconnect_delay(self._failures, self._settings)
        self._failures += 1
        log.warning(
            "database unavailable; the worker reconnects",
            extra={"retry_in_s": round(delay, 2), "reason": repr(exc)[:300]},
        )
        await _sleep_unless(stop, delay)


async def run_jobs(
    connect: Callable[[], Awaitable[asyncpg.Connection[asyncpg.Record]]],
    pool: Pool,
    registry: JobRegistry,
    settings: JobSettings,
    stop: asyncio.Event,
    *,
    dequeue_timeout: timedelta | None = None,
    grace_s: float = 20.0,
) -> None:
    """Run the registry's jobs until ``stop`` is set, across database restarts; then let the
    running jobs finish within ``grace_s`` and hand back those that did not.

    pgqueuer's worker ends with an error when its connection is lost (PostgreSQL restarted or
    unreachable). Then we reconnect with jittered backoff and start a new worker: queued jobs
    wait in the table, jobs that were running are picked up again after the heartbeat
    timeout. An error with the connection still open is a bug and is raised; so is an outage
    longer than ``give_up_after_s`` (``DatabaseGone``)."""
    outage = Outage(settings)
    while not stop.is_set():
        try:
            conn = await connect()
        except Exception as exc:
            if not is_unavailable(exc):
                raise
            await outage.wait(exc, stop)
            continue
        try:
            # Told at once when the connection drops: pgqueuer itself would notice only at its
            # next query, up to a dequeue timeout later, listening on a dead connection.
            lost = asyncio.Event()
            conn.add_termination_listener(lambda _conn, lost=lost: lost.set())
            hand_back = asyncio.Event()
            worker = build_worker(conn, pool, registry, settings, hand_back)
            started = time.monotonic()
            run = asyncio.create_task(
                worker.run(
                    batch_size=settings.batch_size,
                    dequeue_timeout=dequeue_timeout or timedelta(seconds=settings.poll_interval_s),
                    heartbeat_timeout=timedelta(seconds=settings.heartbeat_timeout_s),
                )
            )
            stopping = asyncio.create_task(stop.wait())
            dropped = asyncio.create_task(lost.wait())
            await asyncio.wait({run, stopping, dropped}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            dropped.cancel()
            if not run.done():
                worker.shutdown.set()
                if not lost.is_set():
                    await _stop_gracefully(worker, run, hand_back, grace_s)
                    return
                # Jobs still running finish or fail on their own; pgqueuer's bookkeeping on
                # the dead connection fails, and those jobs are picked up again later.
                await asyncio.wait({run}, timeout=30)
                if not run.done():
                    run.cancel()
                    await asyncio.wait({run})
            error = None if run.cancelled() else run.exception()
            if error is None and stop.is_set():
                return
            if error is not None and not (conn.is_closed() or is_unavailable(error)):
                raise error
            log.warning("worker lost the database; reconnecting", extra={"reason": repr(error)})
            if time.monotonic() - started > settings.reconnect_max_s:
                outage.reset()  # the worker had been running: a new outage, not one going on
        finally:
            await _close_quietly(conn)


# After the grace period: how long a job in the middle of an outside call may finish it before
# it is cut; and how long the worker waits for the handed-back jobs to be re-queued before it
# gives up on them (they are then picked up again after the heartbeat timeout).
HAND_BACK_CUT_S = 5.0
HAND_BACK_TIMEOUT_S = HAND_BACK_CUT_S + 5.0


async def _stop_gracefully(
    worker: PgQueuer, run: asyncio.Task[None], hand_back: asyncio.Event, grace_s: float
) -> None:
    """pgqueuer takes no new job once ``shutdown`` is set and waits for the running ones."""
    log.info(
        "worker stopping; running jobs get the grace period to finish",
        extra={"running": len(worker.qm.job_context), "grace_s": grace_s},
    )
    await asyncio.wait({run}, timeout=grace_s)
    if not run.done():
        log.warning(
            "jobs still running after the grace period; handing them back to the queue",
            extra={"running": len(worker.qm.job_context)},
        )
        hand_back.set()
        await asyncio.wait({run}, timeout=HAND_BACK_TIMEOUT_S)
    if not run.done():
        run.cancel()
        await asyncio.wait({run})
        return
    run.result()


def _reconnect_delay(failures: int, settings: JobSettings) -> float:
    # Equal jitter: never 0 (no hot loop against a database that is down), never in step.
    ceiling = min(settings.reconnect_max_s, settings.reconnect_initial_s * 2.0**failures)
    return ceiling / 2 + random.uniform(0, ceiling / 2)


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


async def _close_quietly(conn: asyncpg.Connection[asyncpg.Record]) -> None:
    try:
        await conn.close(timeout=2)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
        conn.terminate()
