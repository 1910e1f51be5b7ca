"""The console's service figures (办件数据) in headless Chromium: an operator picks a period
across the Spring Festival, sees the tiles, charts and table the API answers, and downloads the
same figures as CSV. The screenshot is left in the test's directory for a person to read."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

import asyncpg
import httpx
from playwright.async_api import Page, expect

from api.composition import Services
from api.figures.tasks import roll_up_until_caught_up, settle
from tests.fixtures.figures import (
    FIRST,
    LAST,
    NOW,
    _case,
    _seed_items,
    _store,
    _store_settled,
)
from tests.fixtures.identity import bearer, make_staff, staff_login
from tests.fixtures.ops import BrowserLog, sign_in


async def test_operator_reads_service_figures_with_charts_and_csv(
    page: tuple[Page, BrowserLog],
    console_url: str,
    services: Services,
    db: asyncpg.Connection,
    client: httpx.AsyncClient,
    tmp_path: Path,
) -> None:
    browser, log = page
    operator = await make_staff(services, "console-fig", "operator")
    reader = await make_staff(services, "console-fig-sup", "supervisor")
    calendar = await services.calendars.current()
    citizen = await _seed_items(db)
    rng = random.Random(23)
    cases = [
        _case(rng, calendar, FIRST + timedelta(days=rng.randrange((LAST - FIRST).days - 14)))
        for _ in range(120)
    ]
    await _store(db, citizen, cases)
    await _store_settled(db, rng, citizen, cases)
    await roll_up_until_caught_up(services.figures, now=NOW)
    await settle(services.figures, now=NOW)
    period = {"from": FIRST.isoformat(), "to": LAST.isoformat(), "by": "department"}
    token = await staff_login(client, reader)  # (the operator's code is the browser's)
    expected = (
        await client.get("/ops/v1/figures/service", params=period, headers=bearer(token))
    ).json()

    await browser.goto(console_url)
    await sign_in(browser, operator)
    await browser.click('#nav a[data-view="figures"]')
    await expect(browser.locator("main h1")).to_have_text("办件数据")
    await browser.fill('#figures-form input[name="from"]', FIRST.isoformat())
    await browser.fill('#figures-form input[name="to"]', LAST.isoformat())
    await browser.select_option('#figures-form select[name="by"]', "department")
    await browser.click("#figures-form button[type=submit]")

    total = expected["total"]
    applications = browser.locator('[data-kpi="applications"] .kpi-value')
    await expect(applications).to_have_text(f"{total['applications']:,}")
    online = f"{total['onlineRate'] * 100:.1f}%"
    await expect(browser.locator('[data-kpi="onlineRate"] .kpi-value')).to_have_text(online)
    good = f"{total['goodRate'] * 100:.1f}%"
    await expect(browser.locator('[data-kpi="goodRate"] .kpi-value')).to_have_text(good)
    rows = browser.locator("#figures-table tbody tr")
    await expect(rows).to_have_count(3)
    await expect(rows.nth(0).locator("td").first).to_have_text("D1")
    await expect(rows.nth(2).locator("td").first).to_have_text("合计")
    for chart in ("volume", "rates", "push"):
        await expect(browser.locator(f"#chart-figures-{chart} rect.bar").first).to_be_visible()
    push = browser.locator("#chart-figures-push")
    await expect(push.locator("text.tick", has_text="微信")).to_have_count(1)

    # The CSV download is the same answer.
    async with browser.expect_download() as download_info:
        await browser.click("#figures-csv")
    download = await download_info.value
    saved = tmp_path / download.suggested_filename
    await download.save_as(saved)
    text = saved.read_text()
    assert text.splitlines()[0].startswith("key,applications,")
    assert text.splitlines()[-1].startswith(f"total,{total['applications']},")

    shot = tmp_path / "ops-console-figures.png"
    await browser.screenshot(path=str(shot), full_page=True)
    png = shot.read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 1000, f"screenshot: {shot}"
    assert not log.problems, f"{log.problems} (screenshot: {shot})"
