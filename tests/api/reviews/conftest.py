"""A clock the tests set, and the API in process reading it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from litestar.di import Provide

from api.app import create_app
from core.settings import Settings
from tests.fixtures.reviews import SetClock
from tests.fixtures.servers import serve_in_process


@pytest.fixture
def clock() -> SetClock:
    return SetClock()


@pytest.fixture
async def client(settings: Settings, clock: SetClock) -> AsyncIterator[httpx.AsyncClient]:
    """The API in process, with the review clock replaced (the ``applicant`` uses this one)."""
    app = create_app(
        settings,
        configure_logs=False,
        dependency_overrides={"review_clock": Provide(lambda: clock, sync_to_thread=False)},
    )
    async with serve_in_process(app) as test_client:
        yield test_client
