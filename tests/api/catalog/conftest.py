from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from api.composition import Services, open_services
from core.settings import Settings
from tests.conftest import PROVINCIAL_KEY


class Platform:
    """Test driver of the provincial stand-in: its platform API and its control endpoints."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session = session
        self.url = url

    async def all_items(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            params = {"limit": "100", **({"cursor": cursor} if cursor else {})}
            async with self.session.get(
                f"{self.url}/gov/catalog/v1/items/changes",
                params=params,
                headers={"Authorization": f"Bearer {PROVINCIAL_KEY}"},
            ) as resp:
                assert resp.status == 200
                page = await resp.json()
            items += page["items"]
            cursor = page["nextCursor"]
            if not page["hasMore"]:
                return items

    async def control(self, method: str, path: str, body: Any = None) -> Any:
        async with self.session.request(method, f"{self.url}/_control{path}", json=body) as resp:
            assert resp.status < 300, await resp.text()
            return await resp.json() if resp.content_type == "application/json" else None


@pytest.fixture
async def platform(settings: Settings) -> AsyncIterator[Platform]:
    async with aiohttp.ClientSession() as session:
        yield Platform(session, settings.provincial.base_url)


@pytest.fixture
async def services(settings: Settings) -> AsyncIterator[Services]:
    async with open_services(settings) as opened:
        yield opened
