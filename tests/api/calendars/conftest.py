"""The API in process with its services at hand (to set its clocks)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from api.app import create_app
from core.settings import Settings
from tests.fixtures.calendars import Served
from tests.fixtures.servers import serve_in_process


@pytest.fixture
async def served(settings: Settings) -> AsyncIterator[Served]:
    app = create_app(settings, configure_logs=False)
    async with serve_in_process(app) as test_client:
        yield Served(test_client, app.state)


@pytest.fixture
def client(served: Served) -> httpx.AsyncClient:
    """The ``applicant`` of the declarations' tests speaks to this one."""
    return served.client
