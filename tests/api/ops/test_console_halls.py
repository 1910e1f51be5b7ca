"""The console's hall view (大厅预约) in headless Chromium: citizens book a hall's half hours,
one cancels, the others never come (the no-show job runs on a clock moved past the slot); an
auditor picks the day and reads each hall's bookings, no-shows and no-show rate. The screenshot
is left in the test's directory for a person to read."""

from __future__ import annotations

import asyncio
from pathlib import Path

from playwright.async_api import Page, Route, expect

from api.app import create_app
from api.composition import Services, open_services
from core.settings import Settings
from tests.fixtures.halls import (
    CITY_HALL,
    DISTRICT_HALL,
    MovableClock,
    book,
    citizen,
    run_supervision,
    synced_halls,
)
from tests.fixtures.identity import Outside, make_staff
from tests.fixtures.ops import BrowserLog, sign_in
from tests.fixtures.servers import serve_in_process


async def test_auditor_reads_bookings_and_no_shows_per_hall(
    page: tuple[Page, BrowserLog],
    console_url: str,
    settings: Settings,
    services: Services,
    outside: Outside,
    tmp_path: Path,
) -> None:
    browser, log = page
    # The bookings are made on the halls tests' clock (Monday 15 June 2026, the halls open).
    clock = MovableClock()
    async with (
        serve_in_process(create_app(settings, configure_logs=False, clock=clock)) as client,
        open_services(settings, clock=clock) as timed,
    ):
        await synced_halls(timed)
        booked = []
        for name, start in (("hall-a", "09:00"), ("hall-b", "09:00"), ("hall-c", "10:00")):
            who = await citizen(client, outside, name)
            resp = await book(client, who, "2026-06-16", start, hall=CITY_HALL)
            assert resp.status_code == 201, resp.text
            booked.append((who, resp.json()["id"]))
        who, cancelled = booked[2]
        resp = await client.post(f"/api/v1/appointments/{cancelled}/cancel", headers=who)
        assert resp.status_code == 200, resp.text
        clock.set(6, 16, 12, 0)
        assert (await run_supervision(timed))[0] == 2

    # The view's first load (the default period) answers late, after the period asked for: its
    # older answer must not be painted over the newer one, nor reset the form.
    async def default_period_late(route: Route) -> None:
        if "from=" not in route.request.url:
            await asyncio.sleep(2)
        await route.continue_()

    await browser.route("**/ops/v1/halls/figures*", default_period_late)
    await browser.goto(console_url)
    await sign_in(browser, await make_staff(services, "console-halls", "auditor"))
    await browser.click('#nav a[data-view="halls"]')
    await expect(browser.locator("main h1")).to_have_text("大厅预约与排队")
    await browser.fill('#halls-form input[name="from"]', "2026-06-16")
    await browser.fill('#halls-form input[name="to"]', "2026-06-16")
    await browser.click('#halls-form button[type="submit"]')
    city = browser.locator(f'#halls-table tr[data-hall="{CITY_HALL}"] td')
    await expect(city.nth(0)).to_have_text("金城市政务服务中心")
    # bookings, completed, arrived, pending, no-shows, cancelled, called; the rate; the wait.
    await expect(city.nth(2)).to_have_text("2")
    await expect(city.nth(6)).to_have_text("2")
    await expect(city.nth(7)).to_have_text("1")
    await expect(city.nth(9)).to_have_text("100.0%")
    await expect(city.nth(10)).to_have_text("—")
    district = browser.locator(f'#halls-table tr[data-hall="{DISTRICT_HALL}"] td')
    await expect(district.nth(2)).to_have_text("0")
    await expect(browser.locator('#halls-kpis [data-kpi="noShows"] .kpi-value')).to_have_text("2")
    await expect(browser.locator("#halls-chart svg")).to_have_count(1)
    await expect(browser.locator("#halls-figures h2")).to_contain_text("2026-06-16")
    await asyncio.sleep(2.5)  # the late default-period answer has come and gone meanwhile
    await expect(city.nth(2)).to_have_text("2")
    await expect(browser.locator('#halls-form input[name="from"]')).to_have_value("2026-06-16")
    for stray in ("[object", "undefined", "null", "NaN"):
        await expect(browser.locator("main")).not_to_contain_text(stray)
    shot = tmp_path / "ops-console-halls.png"
    await browser.screenshot(path=str(shot), full_page=True)
    assert not log.problems, f"{log.problems} (screenshot: {shot})"


async def test_a_department_account_has_no_hall_view(
    page: tuple[Page, BrowserLog], console_url: str, services: Services
) -> None:
    browser, log = page
    await browser.goto(console_url)
    scoped = await make_staff(services, "console-halls-dept", "auditor", ["116201000139001392"])
    await sign_in(browser, scoped)
    await expect(browser.locator('#nav a[data-view="tickets"]')).to_have_count(1)
    await expect(browser.locator('#nav a[data-view="halls"]')).to_have_count(0)
    assert not log.problems, log.problems
