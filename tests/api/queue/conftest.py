"""The API and the jobs on a clock the test moves (the halls' slots are days and times)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from api.app import create_app
from api.composition import Services, open_services
from core.settings import Settings
from tests.fixtures.halls import MovableClock
from tests.fixtures.servers import serve_in_process


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
async def client(settings: Settings, clock: MovableClock) -> AsyncIterator[httpx.AsyncClient]:
    """The API in process on the test's clock (citizens take numbers through it)."""
    async with serve_in_process(create_app(settings, configure_logs=False, clock=clock)) as c:
        yield c


@pytest.fixture
async def services(settings: Settings, clock: MovableClock) -> AsyncIterator[Services]:
    """The services the jobs run with, on the same clock."""
    async with open_services(settings, clock=clock) as opened:
        yield opened
