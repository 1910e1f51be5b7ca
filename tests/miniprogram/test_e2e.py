"""The mini-program end to end against a live backend, a worker and the stand-ins, over real
HTTP (``wx`` = miniprogram/e2e/wx-node.js):

- its API module (miniprogram/utils/api.js) on Node: login → real-name binding → apply with an
  upload → a repeated submit tap → pay → rate (miniprogram/e2e/flow.js);
- its PAGES, rendered by miniprogram-simulate and tapped through their WXML (jest,
  miniprogram/e2e/pages.test.js): search → guide → login and binding → apply → upload →
  subscribe → submit → supplement → pay → rate → wallet → 亮证, and an in-hall booking and a
  12345 complaint."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.composition import Services
from core.settings import Settings
from tests.fixtures.declarations import synced
from tests.fixtures.identity import Outside, user

MINIPROGRAM = Path(__file__).resolve().parents[2] / "miniprogram"
FLOW = MINIPROGRAM / "e2e" / "flow.js"
JEST = MINIPROGRAM / "node_modules" / ".bin" / "jest"


async def run_flow(env: dict[str, str]) -> tuple[int, list[dict[str, Any]], str, str]:
    node = shutil.which("node")
    assert node, "Node.js (20+) is needed to run the mini-program's modules"
    process = await asyncio.create_subprocess_exec(
        node,
        str(FLOW),
        cwd=MINIPROGRAM,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    stdout, stderr = out.decode(), err.decode()
    steps = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    assert process.returncode is not None
    return process.returncode, steps, stdout, stderr


async def test_login_apply_pay_rate_through_the_miniprogram_api_module(
    live: httpx.AsyncClient,
    worker: None,
    settings: Settings,
    outside: Outside,
    services: Services,
) -> None:
    await synced(services)
    citizen = user("zhangsan")
    env = {
        "HANDHELD_API_URL": str(live.base_url).rstrip("/"),
        "HANDHELD_WECHAT_URL": settings.wechat.base_url,
        "HANDHELD_PROVINCIAL_URL": settings.provincial.base_url,
        "E2E_WECHAT_USER": f"wx-{uuid.uuid4().hex[:12]}",
        "E2E_PLATFORM_USER": citizen.username,
        "E2E_PLATFORM_PASSWORD": citizen.password,
    }
    expected = ["login", "apply", "pay", "rate"]
    env["HANDHELD_WECHATPAY_URL"] = settings.wechatpay.base_url

    code, steps, stdout, stderr = await run_flow(env)
    assert code == 0, f"{stdout}\n{stderr}"
    assert [s["step"] for s in steps] == expected
    assert stdout.splitlines()[-1].startswith("E2E OK ")
    by_step = {s["step"]: s for s in steps}

    # What the flow did is what the backend holds.
    applied = by_step["apply"]
    declaration_id = uuid.UUID(applied["declaration"])
    async with services.infra.pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT d.state, d.delivery, d.case_number, c.id_number_hash IS NOT NULL AS bound"
            " FROM declarations d JOIN citizens c ON c.id = d.citizen_id WHERE d.id = $1",
            declaration_id,
        )
        stored = await conn.fetch(
            "SELECT dm.material_code, m.size, encode(m.sha256, 'hex') AS sha256"
            " FROM declaration_materials dm JOIN materials m ON m.id = dm.material_id"
            " WHERE dm.declaration_id = $1",
            declaration_id,
        )
    assert row is not None and row["bound"]
    assert row["delivery"] == "delivered" and row["case_number"] == applied["caseNumber"]
    assert row["state"] == ("completed" if "rate" in expected else "submitted")
    uploads = [u for u in applied["uploads"] if "sha256" in u]
    assert uploads, "the flow uploaded at least one file"
    assert {(u["code"], u["size"], u["sha256"]) for u in uploads} <= {
        (r["material_code"], r["size"], r["sha256"]) for r in stored
    }
    # Both subscribe templates were granted by the popup's report.
    assert {q["templateId"] for q in applied["quotas"]} == {
        settings.wechat.template_progress,
        settings.wechat.template_result,
    }


@pytest.mark.timeout(600)  # jest starting and nine journeys on a loaded machine; no timing asserted
async def test_the_pages_driven_through_search_apply_supplement_pay_rate_wallet_booking_hotline(
    live: httpx.AsyncClient,
    worker: None,
    settings: Settings,
    outside: Outside,
    services: Services,
    tmp_path: Path,
) -> None:
    assert shutil.which("node"), "Node.js (20+) is needed to run the mini-program's pages"
    assert JEST.exists(), "the mini-program's jest is not installed: cd miniprogram && npm ci"
    await synced(services)
    await services.halls.sync()
    citizen = user("zhangsan")
    report = tmp_path / "pages.json"
    env = {
        "HANDHELD_API_URL": str(live.base_url).rstrip("/"),
        "HANDHELD_WECHAT_URL": settings.wechat.base_url,
        "HANDHELD_PROVINCIAL_URL": settings.provincial.base_url,
        "HANDHELD_WECHATPAY_URL": settings.wechatpay.base_url,
        "HANDHELD_HOTLINE_URL": settings.hotline.base_url,
        "E2E_WECHAT_USER": f"wx-{uuid.uuid4().hex[:12]}",
        "E2E_PLATFORM_USER": citizen.username,
        "E2E_PLATFORM_PASSWORD": citizen.password,
        "E2E_REPORT": str(report),
    }
    process = await asyncio.create_subprocess_exec(
        str(JEST),
        "-c",
        "e2e/jest.config.js",
        "--ci",
        "--runInBand",
        cwd=MINIPROGRAM,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    output = f"{out.decode()}\n{err.decode()}"
    assert process.returncode == 0, output
    # Every step ran (none skipped: the live system was there).
    counts = re.search(r"Tests:\s+(\d+) passed, (\d+) total", output)
    assert counts is not None and counts[1] == counts[2], output
    ran = json.loads(report.read_text())

    # What the pages did is what the backend holds.
    declaration_id = uuid.UUID(ran["declarationId"])
    async with services.infra.pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT state, case_number FROM declarations WHERE id = $1", declaration_id
        )
        stored = await conn.fetch(
            "SELECT dm.material_code, m.size FROM declaration_materials dm"
            " JOIN materials m ON m.id = dm.material_id WHERE dm.declaration_id = $1",
            declaration_id,
        )
        paid = await conn.fetch(
            "SELECT o.out_trade_no FROM payment_orders o JOIN fee_notices n ON n.id = o.notice_id"
            " WHERE n.declaration_id = $1 AND o.status = 'paid'",
            declaration_id,
        )
        review = await conn.fetchrow(
            "SELECT level, text FROM reviews WHERE declaration_id = $1", declaration_id
        )
        booking = await conn.fetchrow(
            "SELECT item_name, day::text AS day, to_char(starts_at, 'HH24:MI') AS start, status"
            " FROM appointments WHERE id = $1",
            uuid.UUID(ran["booking"]["id"]),
        )
        ticket = await conn.fetchrow(
            "SELECT kind, title, item_name, state FROM hotline_tickets WHERE id = $1",
            uuid.UUID(ran["ticket"]["id"]),
        )
    assert row is not None
    assert row["state"] == "completed" and row["case_number"] == ran["caseNumber"]
    # Every material the declaration holds is one uploaded through the page (the supplement's
    # replacement of the photo included), by size.
    uploaded = {(u["code"], u["size"]) for u in ran["uploads"]}
    assert {(r["material_code"], r["size"]) for r in stored} <= uploaded
    assert sum(1 for u in ran["uploads"] if u["code"] == ran["supplemented"]) == 2
    assert [r["out_trade_no"] for r in paid] == ran["paid"]
    assert (
        review is not None and review["level"] == 5 and review["text"] == "办理很快，网上就办好了"
    )
    assert booking is not None and dict(booking) == {
        "item_name": "居民身份证换领",
        "day": ran["booking"]["date"],
        "start": ran["booking"]["start"],
        "status": "booked",
    }
    assert ticket is not None and dict(ticket) == {
        "kind": "complaint",
        "title": ran["ticket"]["title"],
        "item_name": "居民身份证换领",
        "state": "replied",
    }
    assert ran["visited"][:3] == ["pages/home/index", "pages/items/index", "pages/item/index"]
