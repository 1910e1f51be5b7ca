"""The ops console in a real browser, against our API on a real port."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Page

from api.composition import Services
from core.settings import Settings
from tests.fixtures.ops import BrowserLog, browser_page
from tests.fixtures.servers import running_server


@pytest.fixture
async def console_url(settings: Settings, services: Services) -> AsyncIterator[str]:
    """The console page of an API served on a free port."""
    async with running_server(settings) as base:
        yield f"{base}/ops/console/"


@pytest.fixture
async def page(tmp_path: Path) -> AsyncIterator[tuple[Page, BrowserLog]]:
    async with browser_page(tmp_path / "chromium-profile") as opened:  # a fresh profile per test
        yield opened
