"""schemathesis over the whole OpenAPI schema, against a real server: no 5xx, no schema drift."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import uvicorn

from api.app import asgi_app, create_app
from api.catalog import service
from api.cli import SERVER_OPTIONS
from api.resources import open_resources
from core.embedded import free_port
from core.settings import Settings

ST = Path(sys.executable).with_name("st")


@contextlib.asynccontextmanager
async def running_server(settings: Settings, port: int | None = None) -> AsyncIterator[str]:
    port = port or free_port()
    config = uvicorn.Config(
        asgi_app(create_app(settings, configure_logs=False)),
        host="127.0.0.1",
        port=port,
        lifespan="on",
        **SERVER_OPTIONS,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(15):
            while not server.started:
                await asyncio.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def test_schemathesis_finds_no_server_error_or_schema_violation(
    settings: Settings, tmp_path: Path
) -> None:
    async with open_resources(settings) as resources:
        await service.sync_catalog(resources.db_pool, resources.provincial, resources.catalog_cache)
    async with running_server(settings) as base:
        process = await asyncio.create_subprocess_exec(
            str(ST),
            "run",
            f"{base}/schema/openapi.json",
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,"
            "response_schema_conformance,response_headers_conformance",
            "--max-examples",
            os.environ.get("HANDHELD_SCHEMATHESIS_EXAMPLES", "40"),
            "--seed",
            "20261122",
            "--workers",
            "1",
            "--no-color",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            cwd=tmp_path,
        )
        output, _ = await process.communicate()
    text = output.decode()
    assert process.returncode == 0, text
