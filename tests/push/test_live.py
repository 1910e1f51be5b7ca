"""An open page hears of a new inbox message at once (SSE over Litestar Channels on Redis)."""

from __future__ import annotations

import asyncio
import json
import uuid

import httpx

from api.composition import Services
from tests.fixtures.declarations import Applicant
from tests.fixtures.identity import bearer, sms_login


async def test_new_message_is_streamed_to_the_open_page(
    live: httpx.AsyncClient, worker: None, applicant: Applicant, services: Services
) -> None:
    tokens = await sms_login(applicant.client, applicant.outside, "13500006666")
    citizen = uuid.UUID(tokens["citizen"]["id"])
    async with (
        asyncio.timeout(20),
        live.stream("GET", "/api/v1/inbox/live", headers=bearer(tokens["accessToken"])) as stream,
    ):
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        lines = stream.aiter_lines()
        while (line := await anext(lines)) != "event: ready":
            pass
        async with services.infra.pool.acquire() as conn, conn.transaction():
            await services.push.notify(conn, citizen, "declaration.accepted", {"item": "测试事项"},
                         dedupe_key="live:1")  # fmt: skip
        while not (line := await anext(lines)).startswith("data: ") or "eventType" not in line:
            pass
        event = json.loads(line.removeprefix("data: "))
        assert event["eventType"] == "declaration.accepted" and event["title"] == "申请已受理"


async def test_stream_needs_a_citizen(live: httpx.AsyncClient) -> None:
    assert (await live.get("/api/v1/inbox/live")).status_code == 401
