"""The console's 12345 view in headless Chromium: an auditor sees the overdue hotline ticket
first, opens its timeline, and reads the figures by department."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from playwright.async_api import Page, expect

from api.composition import Services
from core.clock import china_today
from tests.fixtures.declarations import Applicant
from tests.fixtures.hotline import HRSS, file, supervise
from tests.fixtures.identity import make_staff
from tests.fixtures.ops import BrowserLog, sign_in


async def test_auditor_sees_overdue_hotline_tickets_and_figures_by_department(
    page: tuple[Page, BrowserLog],
    console_url: str,
    services: Services,
    applicant: Applicant,
    tmp_path: Path,
) -> None:
    browser, log = page
    late = await file(
        applicant,
        {"kind": "consultation", "title": "失业保险金怎么领", "content": "离职后如何申领？",
         "departmentCode": HRSS["code"]},
    )  # fmt: skip
    await file(
        applicant,
        {"kind": "complaint", "title": "窗口排队太久", "content": "等了两个小时。",
         "departmentCode": HRSS["code"]},
    )  # fmt: skip
    # Four days on, the consultation (one working day) is late, the complaint (five) is not.
    assert await supervise(services, datetime.now(UTC) + timedelta(days=4)) >= 1

    await browser.goto(console_url)
    await sign_in(browser, await make_staff(services, "console-hl", "auditor"))
    await browser.click('#nav a[data-view="hotline"]')
    await expect(browser.locator("main h1")).to_have_text("12345咨询投诉")
    rows = browser.locator("#hotline-table tbody tr")
    await expect(rows).to_have_count(1)  # the view opens on the overdue ones
    await expect(rows.first).to_contain_text("失业保险金怎么领")
    await expect(rows.first).to_contain_text("已超期")
    figures = browser.locator(f'#hotline-figures-table tr[data-department="{HRSS["code"]}"]')
    await expect(figures).to_contain_text(HRSS["name"])
    await rows.first.locator("button.link").click()
    timeline = browser.locator("#hotline-timeline")
    await expect(timeline).to_contain_text("已超过答复期限，督办中")
    await browser.select_option("#hotline-flag", "")
    await expect(rows).to_have_count(2)
    # The figures of a period: from tomorrow on, no ticket was filed.
    tomorrow = (china_today() + timedelta(days=1)).isoformat()
    await browser.fill('#hotline-period input[name="from"]', tomorrow)
    await browser.click('#hotline-period button[type="submit"]')
    await expect(browser.locator("#hotline-figures p.empty")).to_have_text("暂无热线工单。")
    await expect(browser.locator('#hotline-period input[name="from"]')).to_have_value(tomorrow)
    for stray in ("[object", "undefined", "null", "NaN"):
        await expect(browser.locator("main")).not_to_contain_text(stray)
    shot = tmp_path / "ops-console-hotline.png"
    await browser.screenshot(path=str(shot), full_page=True)
    assert late["id"] and not log.problems, f"{log.problems} (screenshot: {shot})"
