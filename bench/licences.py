"""亮证: display-code issue and online verification, against a bare endpoint running the same SQL.

    uv run python bench/licences.py [--seconds 8]

- `licence_display_and_verify` (the RESULT): one display-code issue plus one online
  verification — what one showing of a licence costs — as pairs per second, divided by the same
  pair on the reference: a bare Litestar handler running the same statements
  (`api.licences.repository`'s SQL) through asyncpg in one transaction per request
  (`python -m bench.licences bare PORT LICENCE_ID CITIZEN_ID`). The two parts are printed alone
  as well:
  - issue: POST /api/v1/licences/{id}/display (bearer token, the licence read, the holder's name
    decrypted and masked, an SM2-SM3 signature, the display row written with the code's digest;
    the QR symbol is not drawn here);
  - verification: POST /api/v1/licence-verifications {code} (the code parsed, recognised by its
    digest on the display row, the verification row written). Both cycle through the same
    CODES displays, issued beforehand, so that no single code or row is verified over and over.
- `strict` lines (no target): the same ratios against the bare handlers without the
  transaction, i.e. exactly the product's round trips now (its single INSERT commits alone).
  A no-database route of the full application (`/api/v1/licences/display-key`) serves about
  as many requests per second as these bare handlers, so the stack alone caps them near 0.5.
- `licence_issue` (target >= 0.6): the issue alone against the same reference.
- `licence_qr` (target >= 0.5): GET /api/v1/licences/display-qr.svg?code=… for codes whose
  symbol was drawn once before the runs (it is cached per code in the API process), against
  a bare endpoint of the reference server answering a fixed SVG of the same size.

Both servers are served by `api.cli.run_server` on the same database and are up together; the
runs are interleaved (`--rounds`, 3 by default, `--seconds` shared among them), each loaded by
wrk (one thread, 32 connections) after a one-second warm-up, and each rate is the mean of its
rounds, so that each ratio compares runs made moments apart on a shared, noisy machine.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import re
import subprocess
import sys
import tempfile
import urllib.request
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from litestar.response import Response

from bench.auth import sign_in
from bench.harness import result, server, stack
from core.embedded import free_port

TARGET = 0.5
ISSUE_TARGET = 0.6
QR_TARGET = 0.5
CODES = 400


def wrk_post(url: str, bodies: list[str], seconds: int, headers: dict[str, str]) -> float:
    """Requests/s of wrk POSTing ``bodies`` in turn (one thread: the other core serves)."""
    return _wrk(url, "POST", [json.dumps(b) for b in bodies], seconds, headers)


def wrk_get(url: str, paths: list[str], seconds: int) -> float:
    """Requests/s of wrk GETting ``paths`` in turn."""
    return _wrk(url, "GET", [json.dumps(p) for p in paths], seconds, {})


def _wrk(url: str, method: str, items: list[str], seconds: int, headers: dict[str, str]) -> float:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        lines = [f'wrk.method = "{method}"']
        lines += [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()]
        lines.append("local items = {")
        lines += [f"  {item}," for item in items]
        lines.append("}")
        lines.append("local i = 0")
        lines.append("request = function()")
        lines.append("  i = i % #items + 1")
        if method == "POST":
            lines.append("  return wrk.format(nil, nil, nil, items[i])")
        else:
            lines.append("  return wrk.format(nil, items[i])")
        lines.append("end")
        script.write("\n".join(lines) + "\n")
    args = ["wrk", "-t1", "-s", script.name]
    try:
        subprocess.run([*args, "-c8", "-d1s", url], check=True, capture_output=True)  # warm-up
        out = subprocess.run(
            [*args, "-c32", f"-d{seconds}s", url], check=True, capture_output=True, text=True
        ).stdout
    finally:
        Path(script.name).unlink()
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
            licence_id,
            uuid.UUID(citizen_id),
            pii.encrypt("张三", field="licence.holder_name"),
            date.today(),
            date.today() + timedelta(days=3650),
        )
        return str(licence_id)
    finally:
        await conn.close()


def bare(port: int, licence_id: str, citizen_id: str) -> None:
    """The baseline: the product's statements through asyncpg in a bare Litestar handler."""
    import asyncpg
    from litestar import Litestar, get, post

    from api.cli import run_server
    from api.licences import repository as sql
    from api.licences.display_codes import qr_svg
    from core.settings import load_settings

    settings = load_settings()
    pools: dict[str, Any] = {}
    # A fixed SVG the size of a real display code's symbol (a code is ~300 characters).
    fixed_svg = qr_svg("HL1." + "x" * 300)
    lid, cid = uuid.UUID(licence_id), uuid.UUID(citizen_id)

    async def startup() -> None:
        pools["db"] = await asyncpg.create_pool(
            settings.database.url.reveal(), min_size=2, max_size=10
        )

    async def issue(conn: Any) -> dict[str, str]:
        row = await conn.fetchrow(sql.DISPLAY_SOURCE_SQL, lid, cid)
        now = datetime.now(UTC)
        display_id = uuid.uuid4()
        await conn.execute(
            sql.ADD_DISPLAY_SQL,
            display_id,
            row["id"],
            cid,
            now,
            now + timedelta(seconds=60),
            bytes(32),
        )
        return {"code": str(display_id), "typeCode": row["type_code"]}

    async def verify(conn: Any, display_id: str) -> dict[str, str]:
        row = await conn.fetchrow(sql.DISPLAY_SQL, uuid.UUID(display_id))
        await conn.execute(
            sql.ADD_VERIFICATION_SQL,
            uuid.uuid4(),
            row["display_id"],
            row["id"],
            row["citizen_id"],
            "valid",
            None,
            "127.0.0.1",
            datetime.now(UTC),
        )
        return {"outcome": "valid", "typeCode": row["type_code"]}

    # The reference: the same statements in one transaction per request (the project's rule
    # for a request that writes, and how the product ran them when the target was set).
    @post("/tx/display", status_code=200)
    async def issue_tx() -> dict[str, str]:
        async with pools["db"].acquire() as conn, conn.transaction():
            return await issue(conn)

    @post("/tx/verify", status_code=200)
    async def verify_tx(data: dict[str, str]) -> dict[str, str]:
        async with pools["db"].acquire() as conn, conn.transaction():
            return await verify(conn, data["code"])

    # Strict: exactly the product's round trips (each INSERT commits on its own).
    @post("/display", status_code=200)
    async def issue_plain() -> dict[str, str]:
        async with pools["db"].acquire() as conn:
            return await issue(conn)

    @post("/verify", status_code=200)
    async def verify_plain(data: dict[str, str]) -> dict[str, str]:
        async with pools["db"].acquire() as conn:
            return await verify(conn, data["code"])

    # The QR reference: a fixed SVG served with the same headers, no check, no cache look-up.
    @get("/qr.svg", media_type="image/svg+xml")
    async def fixed_qr() -> Response[str]:
        return Response(
            fixed_svg,
            media_type="image/svg+xml",
            headers={"Cache-Control": "private, max-age=60, immutable"},
        )

    run_server(
        Litestar(
            route_handlers=[issue_tx, verify_tx, issue_plain, verify_plain, fixed_qr],
            on_startup=[startup],
            openapi_config=None,
        ),
        "127.0.0.1",
        port,
    )


def _issue(url: str, headers: dict[str, str]) -> dict[str, Any]:
    request = urllib.request.Request(url, data=b"", headers=headers)
    with urllib.request.urlopen(request, timeout=10) as resp:
        return dict(json.load(resp))


def _get(url: str) -> None:
    with urllib.request.urlopen(url, timeout=30) as resp:
        resp.read()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    from api.licences.display_codes import DisplayPayload
    from core.sm2 import Sm2KeyPair

    with stack() as env_stack, tempfile.TemporaryDirectory() as tmp:
        key = Path(tmp) / "display.json"
        Sm2KeyPair.generate("bench").save(key)
        env = {
            **env_stack.env,
            "HANDHELD_LICENCES_DISPLAY_KEY_PATH": str(key),
            "HANDHELD_LICENCES_DISPLAY_TTL_S": "600",
        }
        port = free_port()
        serve = [sys.executable, "-m", "api.cli", "serve", "--port", str(port)]
        with server(serve, env, port) as api:
            token, citizen_id = sign_in(api, env_stack.sms_url)
            licence_id = asyncio.run(_seed_licence(env, citizen_id))
            auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            display_url = f"{api}/api/v1/licences/{licence_id}/display"
            shown = [_issue(display_url, auth) for _ in range(CODES)]
            codes = [s["code"] for s in shown]
            # The same displays, by id, for the baseline.
            display_ids = [
                str(DisplayPayload(**json.loads(_unb64(c.split(".")[1]))).display_id) for c in codes
            ]
            base_port = free_port()
            baseline = [
                sys.executable,
                "-m",
                "bench.licences",
                "bare",
                str(base_port),
                licence_id,
                citizen_id,
            ]
            json_type = {"Content-Type": "application/json"}
            ours_verify = [json.dumps({"code": c}) for c in codes]
            bare_verify = [json.dumps({"code": d}) for d in display_ids]
            qr_paths = [s["qrUrl"] for s in shown]
            for path in qr_paths:  # what the holder's page fetches once per code
                _get(f"{api}{path}")
            with server(baseline, env, base_port) as base:
                runs: dict[str, Callable[[int], float]] = {
                    "qr": lambda s: wrk_get(api, qr_paths, s),
                    "qr/reference": lambda s: wrk_get(base, ["/qr.svg"], s),
                    "issue": lambda s: wrk_post(display_url, [""], s, auth),
                    "issue/reference": lambda s: wrk_post(f"{base}/tx/display", [""], s, {}),
                    "issue/strict": lambda s: wrk_post(f"{base}/display", [""], s, {}),
                    "verify": lambda s: wrk_post(
                        f"{api}/api/v1/licence-verifications", ours_verify, s, json_type
                    ),
                    "verify/reference": lambda s: wrk_post(
                        f"{base}/tx/verify", bare_verify, s, json_type
                    ),
                    "verify/strict": lambda s: wrk_post(
                        f"{base}/verify", bare_verify, s, json_type
                    ),
                }
                # Interleaved rounds: a shared machine's load drifts; each ratio compares runs
                # made moments apart.
                rates = interleave(runs, args.seconds, args.rounds)

    # The issue's figure: one display-code issue plus one verification (what one showing of a
    # licence costs), as pairs per second, against the bare handlers doing the same pair.
    def pairs(issue: float, verify: float) -> float:
        return 1 / (1 / issue + 1 / verify)

    result(
        "licence_display_and_verify",
        pairs(rates["issue"], rates["verify"]),
        pairs(rates["issue/reference"], rates["verify/reference"]),
        TARGET,
    )
    # Issuing alone, against the bare handler running the same SQL in a transaction.
    result("licence_issue", rates["issue"], rates["issue/reference"], ISSUE_TARGET)
    # The QR symbol of codes already drawn once, against a bare endpoint serving a fixed SVG.
    result("licence_qr", rates["qr"], rates["qr/reference"], QR_TARGET)
    ours, theirs = rates["verify"], rates["verify/reference"]
    print(
        f"  licence_verification alone: {ours:,.0f} req/s vs {theirs:,.0f} (ratio {ours / theirs:.2f})"
    )
    for name in ("issue", "verify"):
        ours, theirs = rates[name], rates[f"{name}/strict"]
        print(
            f"  strict licence_{name}: ratio={ours / theirs:.2f} against {theirs:,.0f} req/s"
            " of the same statements without a transaction, as the product now runs them"
        )


def interleave(
    runs: dict[str, Callable[[int], float]], seconds: int, rounds: int
) -> dict[str, float]:
    """Each run ``rounds`` times in turn, about ``seconds`` in all; the mean rate of each."""
    each = max(1, round(seconds / rounds))
    totals = dict.fromkeys(runs, 0.0)
    for _ in range(rounds):
        for name, run in runs.items():
            totals[name] += run(each)
    return {name: total / rounds for name, total in totals.items()}


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "bare":
        bare(int(sys.argv[2]), sys.argv[3], sys.argv[4])
    else:
        main()
