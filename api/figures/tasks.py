"""Jobs of figures: the rollup, every minute, batch after batch until it has caught up.

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

    registry.register(ROLL_UP_JOB, roll_up, concurrency_limit=1)
    registry.every(ROLL_UP_CRON, ROLL_UP_JOB)
