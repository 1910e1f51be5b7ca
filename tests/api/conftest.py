from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core.settings import Settings
from tests.fixtures.outages import OwnServers, own_servers


@pytest.fixture
async def own(settings: Settings, tmp_path: Path, stand_ins: None) -> AsyncIterator[OwnServers]:
    """A PostgreSQL and a Valkey of the test's own, to stop and start, under a whole deployment
    (its API and worker processes reach every stand-in)."""
    async with own_servers(settings, tmp_path) as servers:
        yield servers
