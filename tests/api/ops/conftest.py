"""The ops console in a real browser: Debian's Chromium driven by Playwright, against our API
on a real port. No ``playwright install``: the browser is the system's (``make test`` installs it).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Page, async_playwright

from api.composition import Services
from core.settings import Settings
from tests.api.declarations.conftest import (  # noqa: F401 - shared fixtures
    applicant,
    live,
    outside,
    services,
    worker,
)
from tests.test_schemathesis import running_server

CHROMIUM = Path(os.environ.get("HANDHELD_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
async def console_url(settings: Settings, services: Services) -> AsyncIterator[str]:  # noqa: F811
    """The console page of an API served on a free port."""
    async with running_server(settings) as base:
        yield f"{base}/ops/console/"


class BrowserLog:
    """What the page said that a person would never see: uncaught errors, console errors
    (a CSP or Trusted Types violation is one), failed requests other than the 404/403 answers
    the console expects when a panel's API is absent."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def console(self, kind: str, text: str) -> None:
        expected = "the server responded with a status of 40"
        if kind == "error" and expected not in text:
            self.problems.append(f"console: {text}")

    def page_error(self, error: object) -> None:
        self.problems.append(f"page error: {error}")


@pytest.fixture
async def page(tmp_path: Path) -> AsyncIterator[tuple[Page, BrowserLog]]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (Debian's package)")
    log = BrowserLog()
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            tmp_path / "chromium-profile",  # a fresh user-data dir per test
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            viewport={"width": 1280, "height": 900},
        )
        try:
            page = context.pages[0] if context.pages else await context.new_page()
            page.on("console", lambda message: log.console(message.type, message.text))
            page.on("pageerror", log.page_error)
            yield page, log
        finally:
            await context.close()
