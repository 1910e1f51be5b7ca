from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core.settings import Settings
from tests.fixtures.outages import OwnServers, own_servers


@pytest.fixture
async def own(settings: Settings, tmp_path: Path) -> AsyncIterator[OwnServers]:
    """A PostgreSQL and a Valkey of the test's own, to stop and start."""
    async with own_servers(settings, tmp_path) as servers:
        yield servers
