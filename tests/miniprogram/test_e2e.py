"""The mini-program's API module (miniprogram/utils/api.js) on Node, with wx.request and
wx.uploadFile adapted to real HTTP, drives a live backend and the stand-ins:
login → real-name binding → apply with an upload → pay → rate."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

import httpx

from api.composition import Services
from core.settings import Settings
from tests.fixtures.declarations import synced
from tests.fixtures.identity import Outside, user

MINIPROGRAM = Path(__file__).resolve().parents[2] / "miniprogram"
FLOW = MINIPROGRAM / "e2e" / "flow.js"


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
