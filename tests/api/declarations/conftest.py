"""A live API (the platform calls us back over HTTP), a worker, and helpers to apply."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from api.composition import Services, build_registry
from core.jobs import build_worker
from core.settings import Settings
from tests import documents
from tests.api.identity.conftest import Outside, bearer, sso, user
from tests.test_schemathesis import running_server

PDF = documents.pdf()  # a real one: uploads are opened by a PDF parser
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + os.urandom(64)
JPG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + os.urandom(64)

FILES = {"pdf": (PDF, "application/pdf", "scan.pdf"), "png": (PNG, "image/png", "photo.png"),
         "jpg": (JPG, "image/jpeg", "photo.jpg")}  # fmt: skip

LICENCE_ISSUER = "11620100013900112A-GG-00101-002"  # 居民身份证补领: issues an SFZ e-licence
RENT_WITHDRAWAL = "12620100013900155L-GG-00401-001"  # 住房公积金提取（租房）


@pytest.fixture
async def live(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """Our API on a real port: the one the platform stand-in sends its callbacks to."""
    async with (
        running_server(settings, port=settings.port) as base,
        httpx.AsyncClient(base_url=base, timeout=10) as client,
    ):
        yield client


@pytest.fixture
async def worker(services: Services, database_url: str) -> AsyncIterator[None]:
    conn = await asyncpg.connect(database_url)
    worker = build_worker(
        conn, services.infra.pool, build_registry(services), services.infra.settings.jobs
    )
    task = asyncio.create_task(worker.run(batch_size=5, dequeue_timeout=timedelta(seconds=1)))
    try:
        yield
    finally:
        worker.shutdown.set()
        await asyncio.wait_for(task, 15)
        await conn.close()


async def synced(services: Services) -> None:
    await services.catalog.sync()


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 15) -> Any:
    async with asyncio.timeout(timeout):
        while not (result := await check()):
            await asyncio.sleep(0.05)
    return result


class Applicant:
    def __init__(self, client: httpx.AsyncClient, outside: Outside, token: str) -> None:
        self.client, self.outside, self.token = client, outside, token
        self.headers = bearer(token)

    async def create(self, item_code: str) -> dict[str, Any]:
        resp = await self.client.post(
            "/api/v1/declarations", json={"itemCode": item_code}, headers=self.headers
        )
        assert resp.status_code == 200, resp.text
        return dict(resp.json())

    async def fill(self, declaration_id: str) -> None:
        """Fill every required field of the item's form with a valid value."""
        detail = await self.detail(declaration_id)
        data = dict(detail["formData"])
        for field in detail["form"]:
            if field["key"] in data or not field["required"]:
                continue
            data[field["key"]] = {
                "select": (field["options"] or [""])[-1], "date": "2026-11-01", "number": 1200,
            }.get(field["type"], "申请办理")  # fmt: skip
        resp = await self.client.patch(
            f"/api/v1/declarations/{declaration_id}", json={"formData": data}, headers=self.headers
        )
        assert resp.status_code == 200, resp.text

    async def upload(
        self, declaration_id: str, code: str, kind: str, content: bytes | None = None
    ) -> httpx.Response:
        data, content_type, name = FILES[kind]
        return await self.client.put(
            f"/api/v1/declarations/{declaration_id}/materials/{code}",
            files={"file": (name, content if content is not None else data, content_type)},
            headers=self.headers,
        )

    async def detail(self, declaration_id: str) -> dict[str, Any]:
        resp = await self.client.get(f"/api/v1/declarations/{declaration_id}", headers=self.headers)
        assert resp.status_code == 200, resp.text
        return dict(resp.json())

    async def submit(self, declaration_id: str, key: str | None = None) -> httpx.Response:
        return await self.client.post(
            f"/api/v1/declarations/{declaration_id}/submit",
            headers={**self.headers, "Idempotency-Key": key or str(uuid.uuid4())},
        )

    async def case_number(self, declaration_id: str) -> str:
        async def delivered() -> str | None:
            detail = await self.detail(declaration_id)
            return detail["caseNumber"] if detail["delivery"] == "delivered" else None

        return str(await eventually(delivered))

    async def wait_state(self, declaration_id: str, state: str) -> dict[str, Any]:
        async def reached() -> dict[str, Any] | None:
            detail = await self.detail(declaration_id)
            return detail if detail["state"] == state else None

        return dict(await eventually(reached))

    async def advance(self, case_number: str, to: str, **extra: Any) -> None:
        await self.outside.post(
            f"{self.outside.provincial}/_control/cases/{case_number}/advance", {"to": to, **extra}
        )


@pytest.fixture
async def applicant(client: httpx.AsyncClient, outside: Outside, services: Services) -> Applicant:
    await synced(services)
    token = (await sso(client, outside, user("zhangsan"))).json()["accessToken"]
    return Applicant(client, outside, token)


def first_format(material: dict[str, Any]) -> str:
    return next(f for f in material["formats"] if f in FILES)


@pytest.fixture
async def services(settings: Settings) -> AsyncIterator[Services]:
    from api.composition import open_services

    async with open_services(settings) as opened:
        yield opened


@pytest.fixture
async def outside(settings: Settings) -> AsyncIterator[Outside]:
    import aiohttp

    async with aiohttp.ClientSession() as session:
        yield Outside(
            session, settings.provincial.base_url, settings.wechat.base_url, settings.sms.base_url
        )
