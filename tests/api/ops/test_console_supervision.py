"""The console's 电子监察 view in a real browser: a province-wide supervisor reads every
department's yellow and red cards over six months and the open cases by deadline with their
flags, filters them; a department's own supervisor sees only their department, their card's
message, and no province-wide view. Full-page screenshots are kept for a person to read."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import asyncpg
from playwright.async_api import Page, expect

from api.composition import Services
from api.figures.tasks import roll_up_until_caught_up
from api.supervision.service import month_of, previous_month
from core.clock import china_today
from tests.fixtures.identity import make_staff
from tests.fixtures.ops import BrowserLog, sign_in
from tests.fixtures.supervision import at, seed_asked_twice, seed_case, seed_citizen, seed_items

# A directory the screenshots are also copied to for people to look at (else they stay in the
# test's tmp dir).
SCREENSHOTS = os.environ.get("HANDHELD_SCREENSHOTS")


async def _seed(db: asyncpg.Connection, services: Services) -> date:
    """Four departments: earlier months' cards written as the job leaves them, last month's
    computed from real cases (SUP_D1 red, SUP_D2 yellow), and open cases of every flag."""
    await seed_items(db)
    names = ["王小明", "李娜", "张伟", "刘洋", "陈静", "杨帆"]
    citizens = [await seed_citizen(db, services, n) for n in names]
    today = china_today(datetime.now(UTC))
    last = previous_month(month_of(today))
    month = last
    history = [("SUP_D1", "yellow", 1, 0), ("SUP_D2", "none", 0, 0), ("SUP_D3", "red", 4, 1),
               ("SUP_D4", "none", 0, 0)]  # fmt: skip
    for _ in range(5):
        month = previous_month(month)
        await db.execute("INSERT INTO supervision_card_months (month) VALUES ($1)", month)
        for department, colour, overdue, late in history:
            await db.execute(
                """INSERT INTO supervision_cards (department_code, month, colour, reasons, overdue,
                       late_rectifications)
                   VALUES ($1, $2, $3, $4, $5, $6)""",
                department,
                month,
                colour,
                [r for r, n in (("overdue", overdue), ("late_rectifications", late)) if n],
                overdue,
                late,
            )
        history = history[1:] + history[:1]  # a trend that moves
    # Last month: three overdue in SUP_D1 (red), one in SUP_D2 plus a material asked twice.
    for n, department in enumerate(["SUP_D1"] * 3 + ["SUP_D2"]):
        start = last - timedelta(days=3)
        await seed_case(
            db, citizens[n], department, state="accepted", submitted=at(start),
            accepted=at(start), promised_due=last + timedelta(days=n + 5),
        )  # fmt: skip
    twice = await seed_case(db, citizens[4], "SUP_D2", state="submitted", submitted=at(last))
    await seed_asked_twice(db, twice, "SUP_D2", last + timedelta(days=1), ["M1"])
    # Open cases due soon and later this month.
    calendar = await services.calendars.current()
    for n, (department, days) in enumerate([("SUP_D1", 1), ("SUP_D3", 0), ("SUP_D2", 6),
                                            ("SUP_D4", 9), ("SUP_D1", 12)]):  # fmt: skip
        await seed_case(
            db, citizens[n], department, state="processing", submitted=at(today - timedelta(3)),
            accepted=at(today - timedelta(2)),
            promised_due=calendar.add_working_days(today, days).day,
        )  # fmt: skip
    async with services.infra.pool.acquire() as conn, conn.transaction():
        await services.declarations.supervise(conn)
    await roll_up_until_caught_up(services.figures)
    async with services.infra.pool.acquire() as conn, conn.transaction():
        await services.supervision.compute_cards(conn, last)
    return last


async def _shot(browser: Page, tmp_path: Path, name: str) -> Path:
    shot = tmp_path / name
    await browser.screenshot(path=str(shot), full_page=True)
    png = shot.read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 1000
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(SCREENSHOTS) / name)
    return shot


async def test_supervisors_read_cards_and_flagged_cases(
    page: tuple[Page, BrowserLog],
    console_url: str,
    services: Services,
    db: asyncpg.Connection,
    tmp_path: Path,
) -> None:
    browser, log = page
    province = await make_staff(services, "console-sup-all", "supervisor")
    own = await make_staff(services, "console-sup-d1", "supervisor", ["SUP_D1"])
    last = await _seed(db, services)
    await browser.goto(console_url)
    await sign_in(browser, province)
    await browser.click('#nav a[data-view="supervision"]')
    await expect(browser.locator("main h1")).to_have_text("电子监察")
    await expect(browser.locator("main")).to_have_attribute("aria-busy", "false")

    cards = browser.locator("#supervision-card-table")
    await expect(cards.locator("tbody tr")).to_have_count(4)
    await expect(cards.locator("thead")).to_contain_text(f"{last:%Y-%m}")
    d1 = cards.locator('tr[data-department="SUP_D1"]')
    await expect(d1).to_have_attribute("data-colour", "red")
    await expect(d1).to_contain_text("金城市一局")
    await expect(d1).to_contain_text("超期办件 3 件")
    await expect(cards.locator('tr[data-department="SUP_D2"]')).to_contain_text(
        "重复索要已提交材料 1 次"
    )
    await expect(cards.locator(".card-red")).not_to_have_count(0)

    cases = browser.locator("#supervision-case-table")
    await expect(browser.locator("#supervision-cases h2")).to_contain_text("共 10 件")
    await expect(cases.locator('tr[data-flag="red"]')).to_have_count(4)
    await expect(cases.locator('tr[data-flag="yellow"]')).to_have_count(2)
    first = cases.locator("tbody tr").first
    await expect(first).to_contain_text("红灯·已超期")
    await expect(first).to_contain_text("王**")
    await expect(cases).not_to_contain_text("王小明")
    shot = await _shot(browser, tmp_path, "ops-console-supervision.png")

    await browser.select_option("#supervision-flag", "yellow")
    await expect(cases.locator("tbody tr")).to_have_count(2)
    await expect(cases.locator('tr[data-flag="yellow"]')).to_have_count(2)
    await browser.select_option("#supervision-flag", "")
    await browser.select_option("#supervision-department", "SUP_D2")
    await expect(browser.locator("#supervision-card-table tbody tr")).to_have_count(1)
    await expect(browser.locator("#supervision-case-table")).not_to_contain_text("金城市一局")
    for stray in ("[object", "undefined", "null", "NaN"):
        await expect(browser.locator("main")).not_to_contain_text(stray)
    assert not log.problems, f"{log.problems} (screenshot: {shot})"

    # The department's own supervisor: their department only, their card in their messages,
    # and no province-wide view (notices, payments, failed jobs) in the navigation.
    await browser.click("#logout")
    await sign_in(browser, own)
    await expect(browser.locator('#nav a[data-view="supervision"]')).to_be_visible()
    for hidden in ("notices", "payments", "jobs"):
        await expect(browser.locator(f'#nav a[data-view="{hidden}"]')).to_have_count(0)
    await browser.click('#nav a[data-view="supervision"]')
    await expect(browser.locator("#supervision-messages li.unread")).to_contain_text(
        "电子监察红牌：金城市一局"
    )
    await expect(browser.locator("#supervision-card-table tbody tr")).to_have_count(1)
    await expect(browser.locator("#supervision-cases h2")).to_contain_text("共 5 件")
    await expect(browser.locator("#supervision-case-table")).not_to_contain_text("金城市二局")
    own_shot = await _shot(browser, tmp_path, "ops-console-supervision-department.png")
    await browser.click("#supervision-messages button")
    await expect(browser.locator("#supervision-messages li.read")).to_have_count(1)
    assert not log.problems, f"{log.problems} (screenshot: {own_shot})"
