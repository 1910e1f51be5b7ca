"""Shared bench plumbing: throwaway PostgreSQL/Valkey, the stand-ins, servers, and wrk."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from core.embedded import EmbeddedPostgres, EmbeddedValkey, free_port, stop_process, wait_for_port
from core.migrate import apply_migrations
from core.pii import generate_keyset
from core.signing import SigningKeys

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Stack:
    env: dict[str, str]
    provincial_url: str

    @property
    def sms_url(self) -> str:
        return self.env["HANDHELD_SMS_BASE_URL"]


@contextlib.contextmanager
def stack() -> Iterator[Stack]:
    """Embedded PostgreSQL and Valkey, migrated, plus the provincial stand-in."""
    with tempfile.TemporaryDirectory(prefix="handheld-bench-") as tmp:
        pg = EmbeddedPostgres(Path(tmp) / "pg", durable=False)
        valkey = EmbeddedValkey(Path(tmp) / "valkey", durable=False)
        pg.start()
        valkey.start()
        provincial_port, wechat_port, sms_port = free_port(), free_port(), free_port()
        apppush_port = free_port()
        sandbox = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sandbox",
                "--provincial-port",
                str(provincial_port),
                "--wechat-port",
                str(wechat_port),
                "--sms-port",
                str(sms_port),
                "--apppush-port",
                str(apppush_port),
                "--wechatpay-port",
                str(free_port()),
                "--provincial-api-key",
                "bench-key",
                "--sms-api-key",
                "bench-sms-key",
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        keys_dir = Path(tmp) / "keys"
        keys_dir.mkdir()
        SigningKeys.generate(keys_dir)
        pii_keys, pii_current, pii_lookup = generate_keyset()
        try:
            for port in (provincial_port, wechat_port, sms_port, apppush_port):
                wait_for_port("127.0.0.1", port, 15, sandbox)
            asyncio.run(_create_and_migrate(pg.admin_url, pg.url("bench")))
            env = {
                **os.environ,
                "HANDHELD_ENV": "prod",
                "HANDHELD_DATABASE_URL": pg.url("bench"),
                "HANDHELD_REDIS_URL": valkey.url,
                "HANDHELD_PROVINCIAL_BASE_URL": f"http://127.0.0.1:{provincial_port}",
                "HANDHELD_PROVINCIAL_API_KEY": "bench-key",
                "HANDHELD_WECHAT_BASE_URL": f"http://127.0.0.1:{wechat_port}",
                "HANDHELD_SMS_BASE_URL": f"http://127.0.0.1:{sms_port}",
                "HANDHELD_SMS_API_KEY": "bench-sms-key",
                # The stand-ins' default WeChat app and app push credentials.
                "HANDHELD_WECHAT_APPID": "wxdev000000000000",
                "HANDHELD_WECHAT_SECRET": "dev-wechat-secret",
                "HANDHELD_APPPUSH_BASE_URL": f"http://127.0.0.1:{apppush_port}",
                "HANDHELD_APPPUSH_APP_KEY": "dev-apppush-key",
                "HANDHELD_APPPUSH_MASTER_SECRET": "dev-apppush-secret",
                "HANDHELD_PII_KEYS": pii_keys,
                "HANDHELD_PII_CURRENT_KEY_ID": pii_current,
                "HANDHELD_PII_LOOKUP_KEY": pii_lookup,
                "HANDHELD_AUTH_KEYS_DIR": str(keys_dir),
            }
            yield Stack(env=env, provincial_url=env["HANDHELD_PROVINCIAL_BASE_URL"])
        finally:
            stop_process(sandbox)
            valkey.stop()
            pg.stop()


async def _create_and_migrate(admin_url: str, url: str) -> None:
    admin = await asyncpg.connect(admin_url)
    await admin.execute('CREATE DATABASE "bench"')
    await admin.close()
    conn = await asyncpg.connect(url)
    await apply_migrations(conn)
    await conn.close()


@contextlib.contextmanager
def server(argv: list[str], env: dict[str, str], port: int) -> Iterator[str]:
    """A server process (its logs discarded, as a log shipper would take them)."""
    process = subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_for_port("127.0.0.1", port, 30, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process(process)


def wrk(
    url: str, *, seconds: int, connections: int = 32, headers: dict[str, str] | None = None
) -> float:
    """Requests per second from wrk (one thread: the other core serves)."""
    if shutil.which("wrk") is None:
        sys.exit("bench: wrk is needed (Debian package `wrk`: apt-get install wrk)")
    header_args = [arg for k, v in (headers or {}).items() for arg in ("-H", f"{k}: {v}")]
    subprocess.run(
        ["wrk", "-t1", "-c8", "-d1s", *header_args, url], check=True, capture_output=True
    )  # warm-up
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", *header_args, url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    if re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        raise RuntimeError(f"errors while loading {url}:\n{out}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert match, out
    return float(match.group(1))


def result(name: str, value: float, baseline: float, target: float) -> None:
    ratio = value / baseline
    print(f"  {name}: {value:,.0f} req/s vs baseline {baseline:,.0f} req/s")
    print(f"RESULT {name} ratio={ratio:.2f} target>={target}")


def sync_catalogue(env: dict[str, str]) -> None:
    """Pull the stand-in's catalogue into the bench database (what the worker does)."""
    from api.composition import open_services
    from core.settings import load_settings

    async def run() -> None:
        async with open_services(load_settings(env)) as services:
            await services.catalog.sync()

    asyncio.run(run())
