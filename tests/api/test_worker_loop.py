"""The job worker runs on uvloop (its notice sends are mostly aiohttp's request handling, which
costs less on libuv)."""

from __future__ import annotations

import asyncio

import uvloop

from api.cli import run_on_uvloop


def test_worker_main_runs_on_uvloop() -> None:
    async def main() -> str:
        return type(asyncio.get_running_loop()).__module__

    assert run_on_uvloop(main()).startswith("uvloop")
    loop = asyncio.new_event_loop()  # the process's policy is left as it was
    try:
        assert not isinstance(loop, uvloop.Loop)
    finally:
        loop.close()


def test_the_startup_heap_is_frozen_out_of_the_collectors_reach() -> None:
    """The worker freezes what it built at startup before it runs jobs: a full collection
    during a notice's fan-out no longer walks every module, class and service again."""
    import gc

    from core.heap import YOUNG_GENERATION_THRESHOLD, settle_heap_for_serving

    before, thresholds = gc.get_freeze_count(), gc.get_threshold()
    built_at_startup: list[list[int]] = [[n] for n in range(100)]
    try:
        settle_heap_for_serving()
        assert gc.get_freeze_count() >= before + len(built_at_startup)
        collected = {id(o) for generation in (0, 1, 2) for o in gc.get_objects(generation)}
        assert not any(id(o) in collected for o in built_at_startup)
        # Young collections rarer, the older generations' cadence as it was.
        assert gc.get_threshold() == (YOUNG_GENERATION_THRESHOLD, *thresholds[1:])
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
