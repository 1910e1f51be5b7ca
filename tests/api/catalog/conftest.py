from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from sandbox.runner import RunningApp
from tests.fixtures.catalog import Platform


@pytest.fixture
async def platform(provincial: RunningApp) -> AsyncIterator[Platform]:
    async with aiohttp.ClientSession() as session:
        yield Platform(session, provincial.url)
