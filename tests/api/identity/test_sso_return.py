"""The page the unified identity returns to: served static (nothing reflected), with its CSP,
and its script hands code and state on to the mini-program, URL-encoded."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from api.identity.controllers import PAGE_DIR

# Runs page.js with a stand-in for the browser and WeChat's JS-SDK; prints what it did.
HARNESS = """
const fs = require('fs');
const [search, env, file] = process.argv.slice(-3);
const inMiniProgram = env === 'yes';
const note = { textContent: '' };
const calls = [];
global.window = {
  location: { search },
  wx: { miniProgram: {
    getEnv: (cb) => cb({ miniprogram: inMiniProgram }),
    redirectTo: (options) => calls.push(options.url),
  } },
};
global.document = { getElementById: () => note };
eval(fs.readFileSync(file, 'utf8'));
process.stdout.write(JSON.stringify({ note: note.textContent, calls }));
"""


async def test_the_page_is_static_with_a_strict_policy(client: httpx.AsyncClient) -> None:
    hostile = "<script>alert(1)</script>"
    page = await client.get("/sso/return", params={"code": hostile, "state": "s"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert hostile not in page.text and "alert" not in page.text
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'self' https://res.wx.qq.com" in policy
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "<script>" not in page.text.replace('<script src="', "")  # no inline script
    script = await client.get("/sso/return/page.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]


def _run(search: str, in_mini_program: bool) -> dict[str, object]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is needed (Debian package nodejs)")
    out = subprocess.run(
        [node, "-e", HARNESS, search, "yes" if in_mini_program else "no",
         str(Path(PAGE_DIR) / "page.js")],
        capture_output=True, text=True, check=True, timeout=30,
    )  # fmt: skip
    return dict(json.loads(out.stdout))


def test_the_script_hands_code_and_state_to_the_mini_program() -> None:
    done = _run("?code=a%26b%3D1&state=st%2Fx", in_mini_program=True)
    assert done["calls"] == ["/pages/bind-return/index?code=a%26b%3D1&state=st%2Fx"]
    assert done["note"] == "认证完成，正在返回掌上办…"
    in_app = _run("?code=c&state=s", in_mini_program=False)
    assert in_app["calls"] == [] and "返回掌上办应用" in str(in_app["note"])
    refused = _run("?error=access_denied&state=s", in_mini_program=True)
    assert refused["calls"] == [] and "未完成" in str(refused["note"])
