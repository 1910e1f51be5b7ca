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
