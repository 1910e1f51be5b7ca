from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from tests.fixtures.provincial_cases import PlatformFactory, platforms


@pytest_asyncio.fixture
async def make_platform() -> AsyncIterator[PlatformFactory]:
    """Start a stand-in (and a receiver that is its default callback URL) with given options."""
    async with platforms() as make:
        yield make
