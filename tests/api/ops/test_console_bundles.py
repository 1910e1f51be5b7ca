"""The console's 一件事 view in headless Chromium: an auditor reads the figures per bundle."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Page, expect

from api.composition import Services
from tests.fixtures.bundles import BIRTH, TWO_IN_ORDER, BundleApplicant
from tests.fixtures.declarations import Applicant
from tests.fixtures.identity import make_staff
from tests.fixtures.ops import BrowserLog, sign_in


async def test_auditor_reads_figures_per_bundle(
    page: tuple[Page, BrowserLog],
    console_url: str,
    services: Services,
    applicant: Applicant,
    tmp_path: Path,
) -> None:
    browser, log = page
    citizen = BundleApplicant(applicant)
    bundle_id = await citizen.ready(BIRTH, TWO_IN_ORDER)
    assert (await citizen.submit(bundle_id)).status_code == 200

    await browser.goto(console_url)
    await sign_in(browser, await make_staff(services, "console-bd", "auditor"))
    await browser.click('#nav a[data-view="bundles"]')
    await expect(browser.locator("main h1")).to_have_text("“一件事”联办")
    row = browser.locator(f'#bundle-figures-table tr[data-bundle="{BIRTH}"]')
    await expect(row).to_contain_text("新生儿出生一件事")
    cells = row.locator("td")
    await expect(cells.nth(1)).to_have_text("1")  # one application
    await expect(cells.nth(2)).to_have_text("0")  # none finished yet
    await expect(cells.nth(3)).to_have_text("—")
    await expect(browser.locator("#bundle-figures svg.chart")).to_have_count(1)
    for stray in ("[object", "undefined", "null", "NaN"):
        await expect(browser.locator("main")).not_to_contain_text(stray)
    shot = tmp_path / "ops-console-bundles.png"
    await browser.screenshot(path=str(shot), full_page=True)
    assert not log.problems, f"{log.problems} (screenshot: {shot})"
