"""Catalogue read throughput against a bare Litestar JSON endpoint, measured in the same run.

    uv run python bench/catalogue.py [--seconds 8]

The baseline serves the very bytes our endpoint returns (same payload size) from a bare
Litestar app with the same uvicorn settings (api.cli.run_server), so the ratio is what our
stack adds per request: routing, parameter validation, the versioned cache lookup in Valkey,
request ids, access logs and metrics. wrk on loopback is the load generator.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api.composition import open_services
from bench.harness import ROOT, result, server, stack, wrk
from core.embedded import free_port
from core.settings import load_settings

TARGET = 0.6
LIST_PATH = "/api/v1/items?pageSize=20"


# A Mongolian reader's request: its own cache entry, rendered field by field over the Chinese.
MONGOLIAN = {"Accept-Language": "mn, zh-CN;q=0.8"}


def fetch(url: str, headers: dict[str, str] | None = None) -> bytes:
    with urllib.request.urlopen(
        urllib.request.Request(url, headers=headers or {}), timeout=5
    ) as resp:
        return bytes(resp.read())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=8)
    args = parser.parse_args()
    with stack() as env_stack:
        settings = load_settings(env_stack.env)

        async def sync() -> tuple[str, str]:
            async with open_services(settings) as services:
                await services.catalog.sync()
                async with services.infra.pool.acquire() as conn:
                    code: str = await conn.fetchval(
                        "SELECT code FROM catalog_items WHERE status = 'active' "
                        "ORDER BY jsonb_array_length(guide->'materials') DESC LIMIT 1"
                    )
                    # An item the platform translated: its Mongolian page, from its own entry.
                    translated: str = await conn.fetchval(
                        "SELECT code FROM catalog_items WHERE status = 'active' "
                        "AND translations #> '{mn,process}' <> '[]' ORDER BY code LIMIT 1"
                    )
                return code, translated

        code, translated = asyncio.run(sync())
        detail_path, mn_path = f"/api/v1/items/{code}", f"/api/v1/items/{translated}"
        api_port = free_port()
        serve = [sys.executable, "-m", "api.cli", "serve", "--port", str(api_port)]
        with server(serve, env_stack.env, api_port) as api:
            list_body, detail_body = fetch(api + LIST_PATH), fetch(api + detail_path)
            mn_body = fetch(api + mn_path, MONGOLIAN)
            ours = {
                "catalogue_list": wrk(api + LIST_PATH, seconds=args.seconds),
                "catalogue_detail": wrk(api + detail_path, seconds=args.seconds),
                "catalogue_detail_mn": wrk(api + mn_path, seconds=args.seconds, headers=MONGOLIAN),
            }
        payload_dir = ROOT / ".handheld" / "bench"
        payload_dir.mkdir(parents=True, exist_ok=True)
        (payload_dir / "list.json").write_bytes(list_body)
        (payload_dir / "detail.json").write_bytes(detail_body)
        (payload_dir / "detail-mn.json").write_bytes(mn_body)
        base_port = free_port()
        bare = [sys.executable, "-m", "bench.baseline", str(base_port), str(payload_dir)]
        with server(bare, env_stack.env, base_port) as base:
            baseline = {
                "catalogue_list": wrk(base + "/list", seconds=args.seconds),
                "catalogue_detail": wrk(base + "/detail", seconds=args.seconds),
                "catalogue_detail_mn": wrk(base + "/detail-mn", seconds=args.seconds),
            }
    print(f"payloads: list {len(list_body)} B, detail {len(detail_body)} B")
    for name, value in ours.items():
        result(name, value, baseline[name], TARGET)


if __name__ == "__main__":
    main()
