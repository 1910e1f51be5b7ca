"""Outside calls inside ``summarised`` (a notice's batch) are counted and timed instead of
logged one by one; a failed call is still logged on its own, and outside it every call is."""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import msgspec
import pytest
from aiohttp import web

from core.http import JsonApiClient, OutsideSystemHttpError, summarised
from core.settings import HttpClientSettings
from sandbox.runner import start_app


class _Ok(msgspec.Struct):
    ok: bool


class _Client(JsonApiClient):
    system = "peer"

    async def ok(self) -> _Ok:
        return await self._call("POST", "ok", "/ok", _Ok)

    async def down(self) -> _Ok:
        return await self._call("POST", "down", "/down", _Ok)


async def _ok(_: web.Request) -> web.Response:
    return web.json_response({"ok": True})


async def _down(_: web.Request) -> web.Response:
    return web.json_response({"ok": False}, status=503)


def _lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        f"{r.__dict__['operation']}:{r.__dict__['outcome']}"
        for r in caplog.records
        if r.getMessage() == "outside call"
    ]


async def test_successful_calls_of_a_batch_are_summed_up(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = web.Application()
    app.router.add_post("/ok", _ok)
    app.router.add_post("/down", _down)
    peer = await start_app(app)
    try:
        async with aiohttp.ClientSession() as http:
            client = _Client(http, peer.url, HttpClientSettings())
            with caplog.at_level(logging.INFO, logger="core.http"):
                with summarised() as calls:
                    await asyncio.gather(*(client.ok() for _ in range(20)))
                    with pytest.raises(OutsideSystemHttpError):
                        await client.down()
                assert calls.calls == 20
                assert calls.max_ms > 0 and calls.total_ms >= calls.max_ms
                assert _lines(caplog) == ["down:http_503"]  # the failure, on its own
                await client.ok()
                assert _lines(caplog) == ["down:http_503", "ok:ok"]  # outside: each call
    finally:
        await peer.close()
