"""A token revoked at one API process is refused by another at once: two `handheld serve`
processes on one Valkey, each with the token already verified and cached.

- A logout at A answers only once B has the revocation: B's very next request with the token
  is refused (no waiting, no retry).
- B's subscription dropped (a Valkey restart or failover does that to every subscriber): B
  notices (503 with Retry-After while it cannot tell), and a logout at A meanwhile is not
  missed: 401 once B has reloaded the revoked set, never 200.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from core.embedded import free_port
from core.settings import Settings
from tests.fixtures.identity import Outside, bearer, sms_login
from tests.fixtures.processes import processes, until_ready
from tests.fixtures.waiting import eventually


@dataclass
class TwoApis:
    a: httpx.AsyncClient
    b: httpx.AsyncClient


@pytest.fixture
async def two_apis(
    settings: Settings, redis_url: str, tmp_path: Path, stand_ins: None
) -> AsyncIterator[TwoApis]:
    with processes(settings, tmp_path) as running:
        try:
            a = running.api("api-a", settings.port)
            b = running.api("api-b", free_port())
            await until_ready(a, redis_url)
            await until_ready(b, redis_url)
            async with (
                httpx.AsyncClient(base_url=a.base_url or "", timeout=60) as client_a,
                httpx.AsyncClient(base_url=b.base_url or "", timeout=60) as client_b,
            ):
                yield TwoApis(client_a, client_b)
        finally:
            print(running.logs())  # shown by pytest when the test failed


async def signed_in_everywhere(apis: TwoApis, outside: Outside, phone: str) -> dict[str, str]:
    headers = bearer((await sms_login(apis.a, outside, phone))["accessToken"])
    for client in (apis.a, apis.b):  # verified and cached by both processes
        me = await client.get("/api/v1/me", headers=headers)
        assert me.status_code == 200, me.text
    return headers


@pytest.mark.timeout(600)  # two processes starting on a loaded machine; no timing asserted
async def test_a_revoked_token_is_refused_at_once_by_another_process(
    two_apis: TwoApis, outside: Outside, redis: Redis
) -> None:
    apis = two_apis
    headers = await signed_in_everywhere(apis, outside, "13900001001")
    out = await apis.a.post("/api/v1/auth/logout", headers=headers)
    assert out.status_code == 204, out.text
    refused = await apis.b.get("/api/v1/me", headers=headers)
    assert refused.status_code == 401, refused.text
    assert refused.json()["code"] == "TOKEN_REVOKED"

    # B stops hearing revocations for a while (a Valkey restart or failover drops every
    # subscriber). It notices, and refuses to decide meanwhile: the Redis client's silent
    # re-subscribe once hid the drop, and B went on answering from a set that missed what was
    # published while it was away.
    headers = await signed_in_everywhere(apis, outside, "13900001002")
    await redis.client_kill_filter(_type="pubsub")

    async def b_unsure() -> bool:
        return (await apis.b.get("/api/v1/me", headers=headers)).status_code == 503

    await eventually(b_unsure, timeout=10)
    # A logout at A meanwhile is not missed by B. A lost its own subscription too: until it
    # has subscribed again it cannot tell a revoked token either, and says so (503,
    # Retry-After), as a client retries.
    while (out := await apis.a.post("/api/v1/auth/logout", headers=headers)).status_code == 503:
        assert out.json()["code"] == "SERVICE_UNAVAILABLE", out.text
        await asyncio.sleep(0.2)
    assert out.status_code == 204, out.text
    answers = []
    while True:
        answer = await apis.b.get("/api/v1/me", headers=headers)
        answers.append(answer)
        if answer.status_code != 503:
            break
        assert answer.json()["code"] == "SERVICE_UNAVAILABLE"
        assert int(answer.headers["retry-after"]) > 0
        await asyncio.sleep(0.2)
    assert answers[-1].status_code == 401, answers[-1].text
    assert answers[-1].json()["code"] == "TOKEN_REVOKED"
    # And B follows revocations again: a token still valid is served.
    fresh = await signed_in_everywhere(apis, outside, "13900001003")
    assert (await apis.b.get("/api/v1/me", headers=fresh)).status_code == 200
