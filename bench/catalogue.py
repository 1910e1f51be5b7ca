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


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as resp:
        return bytes(resp.read())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=8)
    args = parser.parse_args()
    with stack() as env_stack:
        settings = load_settings(env_stack.env)

        async def sync() -> str:
            async with open_services(settings) as services:
                await services.catalog.sync()
                async with services.infra.pool.acquire() as conn:
                    code: str = await conn.fetchval(
                        "SELECT code FROM catalog_items WHERE status = 'active' "
                        "ORDER BY jsonb_array_length(guide->'materials') DESC LIMIT 1"
                    )
                return code

        detail_path = f"/api/v1/items/{asyncio.run(sync())}"
        api_port = free_port()
        serve = [sys.executable, "-m", "api.cli", "serve", "--port", str(api_port)]
        with server(serve, env_stack.env, api_port) as api:
            list_body, detail_body = fetch(api + LIST_PATH), fetch(api + detail_path)
            ours = {
                "catalogue_list": wrk(api + LIST_PATH, seconds=args.seconds),
                "catalogue_detail": wrk(api + detail_path, seconds=args.seconds),
            }
        payload_dir = ROOT / ".handheld" / "bench"
        payload_dir.mkdir(parents=True, exist_ok=True)
        (payload_dir / "list.json").write_bytes(list_body)
        (payload_dir / "detail.json").write_bytes(detail_body)
        base_port = free_port()
        bare = [sys.executable, "-m", "bench.baseline", str(base_port), str(payload_dir)]
        with server(bare, env_stack.env, base_port) as base:
            baseline = {
                "catalogue_list": wrk(base + "/list", seconds=args.seconds),
                "catalogue_detail": wrk(base + "/detail", seconds=args.seconds),
            }
    print(f"payloads: list {len(list_body)} B, detail {len(detail_body)} B")
    for name, value in ours.items():
        result(name, value, baseline[name], TARGET)


if __name__ == "__main__":
    main()
