"""亮证: display-code issue and online verification, against a bare endpoint doing the same SQL.

    uv run python bench/licences.py [--seconds 8]

- `licence_display_issue`: POST /api/v1/licences/{id}/display (bearer token, the licence read,
  the display row written, an SM2-SM3 signature, the QR symbol as SVG) req/s, divided by a bare
  Litestar handler that runs the same two statements in a transaction through asyncpg
  (`python -m bench.licences bare PORT LICENCE_ID CITIZEN_ID`).
- `licence_verification`: POST /api/v1/licence-verifications {code} (signature check, the
  display read, the verification row written) req/s, divided by the bare handler's same two
  statements.

Both servers are served by `api.cli.run_server` on the same database, same run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import subprocess
import sys
import tempfile
import urllib.request
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.auth import post, sign_in
from bench.harness import result, server, stack
from core.embedded import free_port

TARGET = 0.5


def wrk_post(url: str, body: str, seconds: int, headers: dict[str, str]) -> float:
    """Requests/s of wrk POSTing ``body`` (one thread: the other core serves)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        lines = ['wrk.method = "POST"', f"wrk.body = {json.dumps(body)}"]
        lines += [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()]
        script.write("\n".join(lines) + "\n")
    args = ["wrk", "-t1", "-s", script.name]
    subprocess.run([*args, "-c8", "-d1s", url], check=True, capture_output=True)  # warm-up
    out = subprocess.run(
        [*args, "-c32", f"-d{seconds}s", url], check=True, capture_output=True, text=True
    ).stdout
    if re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        raise RuntimeError(f"errors while loading {url}:\n{out}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert match, out
    return float(match.group(1))


async def _seed_licence(env: dict[str, str], citizen_id: str) -> str:
    """A verified licence in the citizen's wallet (what an import leaves behind)."""
    import asyncpg

    from core.pii import PiiCipher
    from core.settings import load_settings

    settings = load_settings(env)
    pii = PiiCipher.from_settings(
        settings.pii.keys.reveal(), settings.pii.current_key_id, settings.pii.lookup_key.reveal()
    )
    conn = await asyncpg.connect(settings.database.url.reveal())
    try:
        licence_id = uuid.uuid4()
        await conn.execute(
            """INSERT INTO citizen_licences (id, licence_number, citizen_id, type_code, name,
                   issued_at, status, holder_name_enc, issuer_code, issuer_name, valid_from,
                   valid_until, key_id)
               VALUES ($1, 'SFZ11620100013900112A000000000101X', $2, 'SFZ', '居民身份证', now(),
                   'valid', $3, '11620100013900112A', '金城市公安局', $4, $5, 'bench')""",
            licence_id, uuid.UUID(citizen_id),
            pii.encrypt("张三", field="licence.holder_name"), date.today(),
            date.today() + timedelta(days=3650),
        )  # fmt: skip
        return str(licence_id)
    finally:
        await conn.close()


def bare(port: int, licence_id: str, citizen_id: str) -> None:
    """The baseline: the same statements through asyncpg in a bare Litestar handler."""
    import asyncpg
    from litestar import Litestar, post

    from api.cli import run_server
    from core.settings import load_settings

    settings = load_settings()
    pools: dict[str, Any] = {}
    lid, cid = uuid.UUID(licence_id), uuid.UUID(citizen_id)

    async def startup() -> None:
        pools["db"] = await asyncpg.create_pool(
            settings.database.url.reveal(), min_size=2, max_size=10
        )

    @post("/display", status_code=200)
    async def issue() -> dict[str, str]:
        async with pools["db"].acquire() as conn, conn.transaction():
            row = await conn.fetchrow(
                "SELECT id, type_code, valid_until, status FROM citizen_licences"
                " WHERE id = $1 AND citizen_id = $2", lid, cid,
            )  # fmt: skip
            now = datetime.now(UTC)
            display_id = uuid.uuid4()
            await conn.execute(
                "INSERT INTO licence_displays (id, licence_id, citizen_id, issued_at, expires_at)"
                " VALUES ($1, $2, $3, $4, $5)", display_id, lid, cid, now,
                now + timedelta(seconds=60),
            )  # fmt: skip
        return {"code": str(display_id), "typeCode": row["type_code"]}

    @post("/verify", status_code=200)
    async def verify(data: dict[str, str]) -> dict[str, str]:
        async with pools["db"].acquire() as conn, conn.transaction():
            row = await conn.fetchrow(
                "SELECT d.id, d.licence_id, l.citizen_id, l.status FROM licence_displays d"
                " JOIN citizen_licences l ON l.id = d.licence_id WHERE d.id = $1",
                uuid.UUID(data["code"]),
            )
            await conn.execute(
                "INSERT INTO licence_verifications (id, display_id, licence_id, citizen_id,"
                " outcome) VALUES ($1, $2, $3, $4, 'valid')",
                uuid.uuid4(), row["id"], row["licence_id"], row["citizen_id"],
            )  # fmt: skip
        return {"outcome": "valid"}

    run_server(
        Litestar(route_handlers=[issue, verify], on_startup=[startup], openapi_config=None),
        "127.0.0.1", port,
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=8)
    args = parser.parse_args()
    from core.sm2 import Sm2KeyPair

    with stack() as env_stack, tempfile.TemporaryDirectory() as tmp:
        key = Path(tmp) / "display.json"
        Sm2KeyPair.generate("bench").save(key)
        env = {**env_stack.env, "HANDHELD_LICENCES_DISPLAY_KEY_PATH": str(key),
               "HANDHELD_LICENCES_DISPLAY_TTL_S": "600"}  # fmt: skip
        port = free_port()
        serve = [sys.executable, "-m", "api.cli", "serve", "--port", str(port)]
        with server(serve, env, port) as api:
            token, citizen_id = sign_in(api, env_stack.sms_url)
            licence_id = asyncio.run(_seed_licence(env, citizen_id))
            auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            issue = wrk_post(f"{api}/api/v1/licences/{licence_id}/display", "", args.seconds, auth)
            request = urllib.request.Request(
                f"{api}/api/v1/licences/{licence_id}/display", data=b"", headers=auth
            )
            with urllib.request.urlopen(request) as resp:
                code = json.load(resp)["code"]
            verify = wrk_post(
                f"{api}/api/v1/licence-verifications", json.dumps({"code": code}), args.seconds,
                {"Content-Type": "application/json"},
            )  # fmt: skip
        base_port = free_port()
        baseline = [sys.executable, "-m", "bench.licences", "bare", str(base_port), licence_id,
                    citizen_id]  # fmt: skip
        with server(baseline, env, base_port) as base:
            bare_issue = wrk_post(f"{base}/display", "", args.seconds, {})
            display_id = post(f"{base}/display", {})["code"]
            bare_verify = wrk_post(
                f"{base}/verify", json.dumps({"code": display_id}), args.seconds,
                {"Content-Type": "application/json"},
            )  # fmt: skip
    result("licence_display_issue", issue, bare_issue, TARGET)
    result("licence_verification", verify, bare_verify, TARGET)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "bare":
        bare(int(sys.argv[2]), sys.argv[3], sys.argv[4])
    else:
        main()
