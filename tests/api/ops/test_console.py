"""The ops console: served with a strict CSP, every word from one i18n table, and the
acceptance path in headless Chromium: an operator signs in with TOTP and drafts a notice, a
supervisor approves it, its figures appear."""

from __future__ import annotations

import re
from pathlib import Path

import asyncpg
import httpx
from playwright.async_api import Dialog, Page, Route, expect

from api.composition import Services
from api.ops.controllers import CONSOLE_DIR
from tests.fixtures.declarations import Applicant
from tests.fixtures.identity import Outside, bearer, make_staff, sms_login, staff_login
from tests.fixtures.ops import BrowserLog, sign_in
from tests.fixtures.reviews import BAD, finished, rate

ASSETS = sorted(
    p.relative_to(CONSOLE_DIR).as_posix() for p in CONSOLE_DIR.rglob("*") if p.is_file()
)
CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")


async def test_console_is_served_with_a_strict_csp(client: httpx.AsyncClient) -> None:
    page = await client.get("/ops/console/")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert (await client.get("/ops/console")).text == page.text
    csp = page.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["require-trusted-types-for"] == "'script'"
    assert "unsafe" not in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    # No inline script or style: every <script> has a src and nothing inside, no style attributes.
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page.text, re.S)
    assert scripts and all('src="/ops/console/' in attrs and not body.strip()
                           for attrs, body in scripts)  # fmt: skip
    assert not re.search(r"<style|\sstyle=|\son\w+=", page.text)

    for name in ASSETS:
        resp = await client.get(f"/ops/console/{name}")
        assert resp.status_code == 200, name
        assert resp.content == (CONSOLE_DIR / name).read_bytes()
        assert resp.headers["content-security-policy"] == csp
        again = await client.get(
            f"/ops/console/{name}", headers={"If-None-Match": resp.headers["etag"]}
        )
        assert again.status_code == 304 and not again.content
    script = await client.get("/ops/console/app.js")
    assert script.headers["content-type"] == "text/javascript; charset=utf-8"
    for missing in ["nope.js", "../console.py", "%2e%2e/console.py", "..%2fconsole.py",
                    "views/../../console.py", "/etc/passwd"]:  # fmt: skip
        assert (await client.get(f"/ops/console/{missing}")).status_code == 404, missing
    schema = (await client.get("/schema/openapi.json")).json()
    assert not [path for path in schema["paths"] if path.startswith("/ops/console")]


def test_every_word_comes_from_the_i18n_table() -> None:
    table = (CONSOLE_DIR / "i18n.js").read_text()
    keys = set(re.findall(r'^\s*"?([\w.]+)"?: "', table, re.M))
    used: set[str] = set()
    for path in CONSOLE_DIR.rglob("*"):
        if path.suffix not in {".js", ".html", ".css"} or path.name == "i18n.js":
            continue
        text = path.read_text()
        # Comments may explain in any language; code and markup carry no user-facing words.
        code = re.sub(r"//[^\n]*|/\*.*?\*/|<!--.*?-->", "", text, flags=re.S)
        assert not CJK.search(code), f"{path.name}: text outside the i18n table"
        used |= set(re.findall(r'\bt\("([\w.]+)"', code))
    assert used, "the console looks up no text at all?"
    assert used <= keys, f"keys missing from i18n.js: {sorted(used - keys)}"


async def _no_stray_values(page: Page) -> None:
    """Nothing the code meant as a node or an empty value shows up as text."""
    for stray in ("[object", "undefined", "null", "NaN"):
        await expect(page.locator("main")).not_to_contain_text(stray)


async def test_operator_drafts_supervisor_approves_figures_appear(
    page: tuple[Page, BrowserLog],
    console_url: str,
    services: Services,
    db: asyncpg.Connection,
    client: httpx.AsyncClient,
    worker: None,
    outside: Outside,
    tmp_path: Path,
) -> None:
    browser, log = page
    recipients = 3
    await db.execute(
        "INSERT INTO citizens (id) SELECT gen_random_uuid() FROM generate_series(1, $1)",
        recipients - 1,
    )
    await sms_login(client, outside, "13600001234")  # the one with a phone: the urgent SMS
    operator = await make_staff(services, "console-op", "operator")
    supervisor = await make_staff(services, "console-sup", "supervisor")
    title = "端午节假期服务安排"

    await browser.goto(console_url)
    await expect(browser.locator("#login-form h1")).to_have_text("工作人员登录")
    await sign_in(browser, operator)
    await expect(browser.locator("#who")).to_contain_text("运营人员")

    await browser.click('#nav a[data-view="notices"]')
    await browser.fill("#notice-title", title)
    await browser.fill(
        "#notice-body", "端午节假期（6月19日至21日）网上申报照常受理，窗口暂停服务。"
    )
    await browser.check("#notice-urgent")
    await browser.click("#notice-submit")
    await expect(browser.locator("#flash")).to_have_text("草稿已提交，等待主管批准。")
    row = browser.locator("#notice-table tbody tr", has_text=title)
    await expect(row.locator('[data-field="status"]')).to_have_text("待审批")
    await expect(row.locator("button[data-action=approve]")).to_have_count(0)  # four eyes

    await browser.click("#logout")
    await expect(browser.locator("#login-form")).to_be_visible()
    await sign_in(browser, supervisor)
    await browser.click('#nav a[data-view="notices"]')
    row = browser.locator("#notice-table tbody tr", has_text=title)
    # Urgent: the SMS cost is shown before approval (one phone, one part of 5 fen) and the
    # supervisor confirms it in the approval.
    await row.locator("button.link").click()
    await expect(browser.locator("#notice-sms-cost")).to_have_text("1人 × 1条 × ¥0.05 = ¥0.05")
    dialogs: list[str] = []

    async def confirm(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        await dialog.accept()

    browser.once("dialog", confirm)
    await row.locator("button[data-action=approve]").click()
    await expect(browser.locator("#flash")).to_have_text("已批准，开始发送。")
    assert dialogs and "预计费用¥0.05" in dialogs[0]
    await expect(row.locator('[data-figure="targeted"]')).to_have_text(str(recipients))
    # The worker sends in batches; the page looks again while the send runs.
    await expect(row.locator('[data-field="status"]')).to_have_text("已发送", timeout=30_000)
    await expect(row.locator('[data-figure="sent"]')).to_have_text(str(recipients))
    await expect(row.locator('[data-figure="read"]')).to_have_text("0")
    await row.locator("button.link").click()
    await expect(browser.locator("#notice-detail .kpi-value").first).to_have_text(str(recipients))
    # Per channel: the inbox has it for all three, the SMS went to the one with a phone, no
    # one has an openid or a device.
    channels = browser.locator("#notice-channels tbody tr")
    await expect(channels).to_have_count(4)
    inbox = browser.locator('#notice-channels tr[data-channel="inbox"] td')
    await expect(inbox.nth(2)).to_have_text(str(recipients))  # sent
    await expect(inbox.nth(4)).to_have_text("0")  # read
    sms = browser.locator('#notice-channels tr[data-channel="sms"] td')
    await expect(sms.nth(2)).to_have_text("1")  # sent
    wechat = browser.locator('#notice-channels tr[data-channel="wechat"] td')
    await expect(wechat.nth(7)).to_have_text("0")  # quota misses
    await expect(browser.locator("#notice-sms-cost")).to_have_text("1人 × 1条 × ¥0.05 = ¥0.05")
    await _no_stray_values(browser)

    await browser.click('#nav a[data-view="dashboard"]')
    tile = browser.locator('[data-kpi="noticeMessages"] .kpi-value')
    await expect(tile).to_have_text(str(recipients))
    reach = browser.locator("#chart-notice-reach svg.chart")
    await expect(reach).to_be_visible()
    await expect(reach.locator("rect.bar")).to_have_count(3)  # targeted, sent, read of one notice
    await expect(reach.locator("rect.bar title").first).to_contain_text(title[:10])

    shot = tmp_path / "ops-console.png"
    await browser.screenshot(path=str(shot), full_page=True)
    png = shot.read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 1000, f"screenshot: {shot}"
    assert not log.problems, f"{log.problems} (screenshot: {shot})"

    # What the page showed is what the API holds: drafted by one person, approved by another.
    token = await staff_login(client, await make_staff(services, "console-aud", "auditor"))
    notices = (await client.get("/ops/v1/notices", headers=bearer(token))).json()
    (notice,) = [n for n in notices if n["title"] == title]
    assert notice["status"] == "sent" and notice["figures"]["sent"] == recipients
    staff_ids = {
        r["username"]: str(r["id"]) for r in await db.fetch("SELECT id, username FROM staff")
    }
    assert notice["createdBy"] == staff_ids["console-op"]
    assert notice["approvedBy"] == staff_ids["console-sup"]


async def test_every_view_renders_for_a_read_only_auditor(
    page: tuple[Page, BrowserLog], console_url: str, services: Services, tmp_path: Path
) -> None:
    browser, log = page
    auditor = await make_staff(services, "console-aud", "auditor")
    await browser.goto(console_url)
    await sign_in(browser, auditor)
    headings = {"dashboard": "运营看板", "notices": "通知公告", "tickets": "差评整改",
                "payments": "支付对账", "calendar": "工作日历", "halls": "大厅预约与排队"}  # fmt: skip
    for view, heading in headings.items():
        await browser.click(f'#nav a[data-view="{view}"]')
        await expect(browser.locator("main h1")).to_have_text(heading)
        await expect(browser.locator("main")).to_have_attribute("aria-busy", "false")
        await _no_stray_values(browser)
    await browser.click('#nav a[data-view="notices"]')
    await expect(browser.locator("#notice-form")).to_have_count(0)  # auditors only read
    await browser.click('#nav a[data-view="calendar"]')
    await expect(browser.locator("#calendar-table")).to_contain_text("chinesecalendar 1.11.0")
    await expect(browser.locator("#calendar-import")).to_have_count(0)  # supervisors import
    await browser.click('#nav a[data-view="dashboard"]')
    await expect(browser.locator('[data-kpi="noticesAwaiting"]')).to_be_visible()
    await expect(browser.locator('[data-kpi="deadLetters"]')).to_have_count(0)  # supervisors'
    shot = tmp_path / "ops-console-auditor.png"
    await browser.screenshot(path=str(shot), full_page=True)
    assert not log.problems, f"{log.problems} (screenshot: {shot})"


async def test_a_view_whose_api_is_absent_is_left_out(
    page: tuple[Page, BrowserLog],
    console_url: str,
    services: Services,
    client: httpx.AsyncClient,
) -> None:
    """Deployed without the payments domain, the mismatches list answers 404 as the router
    does for any unknown path: the console leaves the payments view out rather than fail."""
    browser, _ = page
    unknown = await client.get("/ops/v1/no-such-list")
    assert unknown.status_code == 404

    async def absent(route: Route) -> None:
        await route.fulfill(status=404, headers=dict(unknown.headers), body=unknown.content)

    await browser.route("**/ops/v1/payments/**", absent)
    await browser.goto(console_url)
    await sign_in(browser, await make_staff(services, "console-sup2", "supervisor"))
    await expect(browser.locator('#nav a[data-view="tickets"]')).to_be_visible()
    await expect(browser.locator('#nav a[data-view="payments"]')).to_have_count(0)
    await expect(browser.locator('[data-kpi="noticesAwaiting"]')).to_be_visible()
    await expect(browser.locator('[data-kpi="mismatchesOpen"]')).to_have_count(0)


async def test_operator_works_a_bad_review_ticket_to_the_end(
    page: tuple[Page, BrowserLog],
    console_url: str,
    services: Services,
    client: httpx.AsyncClient,
    applicant: Applicant,
    live: httpx.AsyncClient,
    worker: None,
) -> None:
    """A citizen's bad review opens a ticket; in the console an operator records the call back,
    resolves it as rectified and closes it."""
    browser, log = page
    declaration = await finished(applicant)
    rated = await rate(client, applicant.token, declaration, BAD)
    assert rated.status_code == 200, rated.text
    operator = await make_staff(services, "console-op3", "operator")

    await browser.goto(console_url)
    await sign_in(browser, operator)
    await browser.click('#nav a[data-view="tickets"]')
    await browser.select_option("#ticket-state", "open")
    row = browser.locator("#ticket-table tbody tr", has_text="住房公积金")
    await expect(row).to_have_count(1)
    await expect(row).to_contain_text("待回访")
    await row.locator("button.link").click()
    detail = browser.locator("#ticket-detail")
    await expect(detail).to_contain_text("非常不满意")
    await expect(detail).to_contain_text(BAD["text"])
    assert not log.problems, log.problems

    # The whole number only when asked for, for the call back (audited by the API).
    assert "*" in (await detail.text_content() or "")
    await detail.locator("#ticket-call-number-show").click()
    await expect(detail.locator("#ticket-call-number")).to_have_text(re.compile(r"^1\d{10}$"))
    await detail.locator("#ticket-contact-form textarea").fill("已电话联系申请人，核实超期原因。")
    await detail.locator("#ticket-contact-form button[type=submit]").click()
    await expect(browser.locator("#flash")).to_have_text("已记录回访。")
    await expect(detail).to_contain_text("已回访")
    await detail.locator("#ticket-outcome").select_option("rectified")
    await detail.locator("#ticket-resolve-form textarea").fill("已督促部门整改，并向申请人说明。")
    await detail.locator("#ticket-resolve-form button[type=submit]").click()
    await expect(browser.locator("#flash")).to_have_text("整改结果已提交。")
    await detail.locator("#ticket-close").click()
    await expect(browser.locator("#flash")).to_have_text("工单已办结。")
    await expect(detail).to_contain_text("已办结")
    await _no_stray_values(browser)
    assert not log.problems, log.problems

    token = await staff_login(client, await make_staff(services, "console-aud3", "auditor"))
    tickets = (await client.get("/ops/v1/reviews/tickets", headers=bearer(token))).json()
    (ticket,) = tickets["items"]
    assert ticket["state"] == "closed" and ticket["outcome"] == "rectified"


async def test_supervisor_imports_a_holiday_notice_in_the_calendar_view(
    page: tuple[Page, BrowserLog], console_url: str, services: Services, tmp_path: Path
) -> None:
    from tests.fixtures.calendars import NOTICE_2027

    browser, log = page
    await browser.goto(console_url)
    await sign_in(browser, await make_staff(services, "console-sup-cal", "supervisor"))
    await browser.click('#nav a[data-view="calendar"]')
    await expect(browser.locator("main h1")).to_have_text("工作日历")
    await browser.fill(
        "#calendar-import textarea", NOTICE_2027.replace("to = 2027-02-13", "to = 2027-02-01")
    )
    await browser.click("#calendar-import button[type=submit]")
    await expect(browser.locator("#calendar-problems")).to_contain_text("结束日期早于开始日期")
    await browser.fill("#calendar-import textarea", NOTICE_2027)
    await browser.click("#calendar-import button[type=submit]")
    await expect(browser.locator("#flash")).to_contain_text("2027年节假日安排已导入")
    await expect(browser.locator("#calendar-table")).to_contain_text("国务院办公厅关于2027年")
    await browser.fill('#calendar-year input[name="year"]', "2027")
    await browser.click("#calendar-year button")
    await expect(browser.locator("#calendar-workdays")).to_contain_text("2027-02-20 春节")
    await _no_stray_values(browser)
    shot = tmp_path / "ops-console-calendar.png"
    await browser.screenshot(path=str(shot), full_page=True)
    # The refused file answered 400 (an expected 4xx the log leaves out): nothing else logged.
    assert not log.problems, f"{log.problems} (screenshot: {shot})"
