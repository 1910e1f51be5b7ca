"""A clock the tests set, and the API in process reading it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from api.app import create_app
from core.settings import Settings
from tests.fixtures.reviews import SetClock
from tests.fixtures.servers import serve_in_process


@pytest.fixture
def clock() -> SetClock:
    return SetClock()


@pytest.fixture
async def client(settings: Settings, clock: SetClock) -> AsyncIterator[httpx.AsyncClient]:
    """The API in process on the test's clock (the ``applicant`` uses this one)."""
    app = create_app(settings, configure_logs=False, clock=clock)
    async with serve_in_process(app) as test_client:
        yield test_client
