"""The tests' worker runs every schedule unless the test leaves some out: a scheduled run
follows the wall clock, and can fall anywhere in a test that runs the same job itself."""

from __future__ import annotations

import asyncpg
import pytest

from tests.fixtures.waiting import eventually


async def _scheduled(db: asyncpg.Connection) -> set[str]:
    rows = await db.fetch("SELECT entrypoint FROM pgqueuer_schedules")
    return {row["entrypoint"].removeprefix("schedule:") for row in rows}


async def test_the_worker_runs_every_schedule(worker: None, db: asyncpg.Connection) -> None:
    scheduled = await eventually(lambda: _scheduled(db))
    assert {"catalog.sync", "push.receipts", "reviews.supervise"} <= scheduled


@pytest.mark.unscheduled("catalog.sync", "reviews.supervise")
async def test_a_test_leaves_the_schedules_it_names_out(
    worker: None, db: asyncpg.Connection
) -> None:
    scheduled = await eventually(lambda: _scheduled(db))
    assert "push.receipts" in scheduled
    assert not {"catalog.sync", "reviews.supervise"} & scheduled
