"""Jobs of figures: the rollup, every minute, batch after batch until it has caught up; the
settled figures (ratings, payments, push reach) of the recent days, every ten minutes.

Job names and payloads live here; the handler opens one transaction per batch and calls the
service.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from core.jobs import JobRegistry

if TYPE_CHECKING:
    from api.figures.service import FiguresService

ROLL_UP_JOB = "figures.roll_up"
ROLL_UP_CRON = "* * * * *"
# Ratings, payments and push reach of the recent days, computed again (FiguresService.settle).
SETTLE_JOB = "figures.settle"
SETTLE_CRON = "*/10 * * * *"
# Batches per run: a backlog (a first run over years of timeline) is caught up over several
# runs rather than in one that holds the worker for long.
MAX_BATCHES = 50


async def roll_up_until_caught_up(
    figures: FiguresService, *, max_batches: int = MAX_BATCHES, now: datetime | None = None
) -> int:
    """Batches until nothing finished is left (or ``max_batches``); returns the moves counted.
    ``now`` (default: the service's clock) says which deadlines have passed."""
    moves = 0
    for _ in range(max_batches):
        async with figures.pool.acquire() as conn, conn.transaction():
            report = await figures.roll_up(conn, now=now)
        moves += report.moves
        if not report.more:
            break
    return moves


def register(registry: JobRegistry, figures: FiguresService) -> None:
    async def roll_up(_: None) -> None:
        await roll_up_until_caught_up(figures)

    async def settle_now(_: None) -> None:
        await settle(figures)

    registry.register(ROLL_UP_JOB, roll_up, concurrency_limit=1)
    registry.every(ROLL_UP_CRON, ROLL_UP_JOB)
    registry.register(SETTLE_JOB, settle_now, concurrency_limit=1)
    registry.every(SETTLE_CRON, SETTLE_JOB)


async def settle(figures: FiguresService, *, now: datetime | None = None) -> None:
    """One settling run in its own transaction (the job's, and tests')."""
    async with figures.pool.acquire() as conn, conn.transaction():
        await figures.settle(conn, now=now)
