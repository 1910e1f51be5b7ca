"""Jobs of supervision: the monthly cards.

A tick (``supervision.cards_tick``, hourly by default) looks for the last finished China month
whose cards are not computed and whose deadlines the figures have swept, and enqueues
``supervision.cards`` for it with the month as dedupe key; that job computes every department's
card in one transaction and records the month, so the month is computed once whichever worker
ticks (and a rerun changes nothing and tells nobody twice).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from api.supervision.schemas import CardsJob
from core import jobs
from core.jobs import JobRegistry, JobSubject

if TYPE_CHECKING:
    from api.supervision.service import SupervisionService

CARDS_TICK_JOB = "supervision.cards_tick"
CARDS_JOB = "supervision.cards"


async def tick(supervision: SupervisionService, *, now: datetime | None = None) -> bool:
    """Enqueue the cards of the month due, if any; whether one was enqueued."""
    async with supervision.pool.acquire() as conn, conn.transaction():
        month = await supervision.month_to_compute(conn, now)
        if month is None:
            return False
        return await jobs.enqueue(
            conn, CARDS_JOB, CardsJob(month), dedupe_key=f"{CARDS_JOB}:{month:%Y-%m}"
        )


async def compute(
    supervision: SupervisionService, payload: CardsJob, *, now: datetime | None = None
) -> None:
    async with supervision.pool.acquire() as conn, conn.transaction():
        await supervision.compute_cards(conn, payload.month, now)


def register(registry: JobRegistry, supervision: SupervisionService, cron: str) -> None:
    async def run_tick(_: None) -> None:
        await tick(supervision)

    async def run_cards(payload: CardsJob) -> None:
        await compute(supervision, payload)

    registry.register(CARDS_TICK_JOB, run_tick, concurrency_limit=1)
    registry.register(
        CARDS_JOB,
        run_cards,
        CardsJob,
        concurrency_limit=1,
        describe=lambda p: JobSubject(
            kind="supervision_month", id=f"{p.month:%Y-%m}", summary=f"{p.month:%Y-%m} 红黄牌"
        ),
    )
    registry.every(cron, CARDS_TICK_JOB)
