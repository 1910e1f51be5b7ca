"""The console's 窗口帮办 view in headless Chromium: a hall worker names the citizen at the
window, the citizen reads out the code texted to their phone, the worker drafts, fills,
attaches and submits 城乡居民基本医疗保险参保登记 for them, and ends the assistance."""

from __future__ import annotations

from pathlib import Path

import httpx
from playwright.async_api import Page, expect

from api.composition import Services
from tests.fixtures import documents
from tests.fixtures.declarations import synced
from tests.fixtures.identity import Outside, make_staff, user
from tests.fixtures.ops import BrowserLog, sign_in
from tests.fixtures.parties import signed_in
from tests.fixtures.proxies import MED_INSURANCE, PARENT, inbox_events, item_code, texted_code


async def test_a_hall_worker_assists_a_citizen_from_the_console(
    page: tuple[Page, BrowserLog],
    console_url: str,
    services: Services,
    client: httpx.AsyncClient,
    outside: Outside,
    tmp_path: Path,
) -> None:
    browser, log = page
    await synced(services)
    med = await item_code(client, MED_INSURANCE)
    citizen = await signed_in(client, outside, PARENT)
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(documents.pdf())

    await browser.goto(console_url)
    await sign_in(browser, await make_staff(services, "console-clerk", "operator"))
    await browser.click('#nav a[data-view="assist"]')
    await expect(browser.locator("main h1")).to_have_text("窗口帮办")
    person = user(PARENT)
    await browser.fill('#assist-request input[name="idNumber"]', person.id_number)
    await browser.fill('#assist-request input[name="name"]', person.name)
    await browser.fill('#assist-request input[name="items"]', med)
    await browser.click("#assist-request button[type=submit]")
    await expect(browser.locator("#assist-citizen")).to_contain_text("陈*")
    await expect(browser.locator("#assist-citizen")).to_contain_text("188****0005")

    await browser.fill('#assist-confirm input[name="code"]', await texted_code(outside, PARENT))
    await browser.click("#assist-confirm button[type=submit]")
    await expect(browser.locator("#assist-work")).to_contain_text("正在为 陈* 帮办")
    await browser.click("#assist-create")
    form = browser.locator("#assist-form")
    await expect(form).to_contain_text(MED_INSURANCE)
    await form.locator('input[name="insuredName"]').fill("陈静")
    for required in await form.locator('input[type="text"][required]').all():
        if not await required.input_value():
            await required.fill("参保登记")
    for file_input in await form.locator('input[type="file"]').all():
        await file_input.set_input_files(str(scan))
    await browser.click("#assist-submit")
    await expect(browser.locator("#assist-result")).to_contain_text("已提交")
    await expect(browser.locator("#assist-table")).to_contain_text("帮办中")
    await browser.click("#assist-end")
    await expect(browser.locator("#assist-table")).to_contain_text("已结束")
    for stray in ("[object", "undefined", "null", "NaN"):
        await expect(browser.locator("main")).not_to_contain_text(stray)
    shot = tmp_path / "ops-console-assist.png"
    await browser.screenshot(path=str(shot), full_page=True)
    assert not log.problems, f"{log.problems} (screenshot: {shot})"

    # The citizen's: submitted in their name, each step in their inbox, the assistance ended.
    mine = (await client.get("/api/v1/declarations", headers=citizen)).json()["items"]
    assert [(d["itemName"], d["state"]) for d in mine] == [(MED_INSURANCE, "submitted")]
    events = [m["eventType"] for m in await inbox_events(client, citizen)]
    assert events[0] == "assist.confirmed" and events[-1] == "proxy.revoked"
    assert events.count("proxy.acted") >= 2 and "declaration.submitted" in events
