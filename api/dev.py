"""``handheld dev``: the whole system on one machine, from nothing but the installed wheels.

Embedded PostgreSQL and Valkey (unless HANDHELD_DATABASE_URL / HANDHELD_REDIS_URL point at real
ones), the stand-ins of outside systems (unless HANDHELD_PROVINCIAL_BASE_URL is set), migrations,
then the API and a worker as child processes. Data lives under the data directory and is reused
by the next run. A worker that exits is started again; the API or the stand-ins exiting stops
everything.

SIGTERM, SIGINT and SIGHUP (a container runtime or systemd, Ctrl-C, a closed terminal) stop
every child, newest first, whenever they arrive (during start-up too); each child runs in a
process group of its own, which is emptied after it stopped; and every child is sent its stop
signal by the kernel if this process is killed outright (``core.processes``), so no server is
left holding the data directory.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from api.seed import seed_demo
from core.embedded import (
    EmbeddedPostgres,
    EmbeddedValkey,
    port_or_free,
    wait_for_port,
    wait_for_ports_file,
)
from core.migrate import apply_migrations
from core.pii import generate_keyset
from core.processes import STOP_SIGNALS, Stopped, die_with_parent, exit_on_signals, stop_group
from core.settings import Settings, load_settings
from core.signing import SigningKeys

DEV_DATABASE = "handheld"
DEV_PROVINCIAL_KEY = "dev-provincial-key"
DEV_WECHAT_APPID = "wxdev000000000000"
DEV_WECHAT_SECRET = "dev-wechat-secret"
DEV_SMS_KEY = "dev-sms-key"
DEV_HOTLINE_KEY = "dev-hotline-key"
DEV_HOTLINE_SECRET = "dev-hotline-secret"
DEV_POSTAL_SECRET = "dev-postal-secret"
DEV_APPPUSH_KEY = "devappkey"
DEV_APPPUSH_SECRET = "dev-apppush-secret"
DEV_CALLBACK_SECRET = "dev-callback-secret"
DEV_HALLQUEUE_KEY = "dev-hallqueue-key"
DEV_HALLQUEUE_SECRET = "dev-hallqueue-secret"
DEV_OAUTH_CLIENT_ID = "handheld-dev"
DEV_OAUTH_CLIENT_SECRET = "dev-oauth-secret"
DEV_OAUTH_ISSUER = "https://sso.xiling.gov.cn"
WORKER_RESTART_DELAY_S = 2.0


@dataclass
class _Child:
    name: str
    process: subprocess.Popen[bytes]


def _spawn(name: str, cmd: list[str], env: dict[str, str], children: list[_Child]) -> _Child:
    """A child in a process group of its own (a terminal's Ctrl-C reaches only us, and we stop
    the children in order), sent SIGTERM by the kernel should we die without stopping it."""
    child = _Child(
        name,
        subprocess.Popen(cmd, env=env, process_group=0, preexec_fn=die_with_parent()),
    )
    children.append(child)
    return child


def run_dev(*, port: int | None = None, data_dir: str | None = None) -> None:
    overrides: dict[str, object] = {}
    if port:
        overrides["port"] = port
    if data_dir:
        overrides["data_dir"] = data_dir
    settings = load_settings(**overrides)
    root = settings.data_dir.resolve()
    root.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.setdefault("HANDHELD_LOG_JSON", "false")
    env["HANDHELD_PORT"] = str(settings.port)
    # Nobody balances load over a dev server: no readiness drain before it stops.
    env.setdefault("HANDHELD_SHUTDOWN_DRAIN_S", "0")
    _ensure_dev_secrets(root, env)
    servers: list[EmbeddedPostgres | EmbeddedValkey] = []
    children: list[_Child] = []
    started = time.monotonic()
    with exit_on_signals():
        try:
            _run(settings, root, env, servers, children, started)
        except Stopped as stop:
            print(f"\nhandheld dev: {stop}, stopping…", file=sys.stderr)
        finally:
            # Nothing interrupts the cleanup (each step has its own timeout).
            for sig in STOP_SIGNALS:
                signal.signal(sig, signal.SIG_IGN)
            for child in reversed(children):
                stop_group(child.process)
            for server in reversed(servers):
                server.stop()
            print("handheld dev: stopped", file=sys.stderr)


def _run(
    settings: Settings,
    root: Path,
    env: dict[str, str],
    servers: list[EmbeddedPostgres | EmbeddedValkey],
    children: list[_Child],
    started: float,
) -> None:
    if not settings.database.url:
        pg = EmbeddedPostgres(root / "postgres", port=port_or_free(settings.port + 432))
        servers.append(pg)  # before it starts: a signal while it starts still stops it
        pg.start()
        asyncio.run(_ensure_database(pg.admin_url, DEV_DATABASE))
        env["HANDHELD_DATABASE_URL"] = pg.url(DEV_DATABASE)
    if not settings.redis.url:
        valkey = EmbeddedValkey(root / "valkey", port=port_or_free(settings.port + 379))
        servers.append(valkey)
        valkey.start()
        env["HANDHELD_REDIS_URL"] = valkey.url
    sandbox_urls: dict[str, str] = {}
    if not settings.provincial.base_url:
        sandbox_urls = _start_sandbox(settings.port, root / "sandbox", env, children)
    # Migrations hold a session advisory lock: straight to PostgreSQL, never via PgBouncer.
    direct = env.get("HANDHELD_DATABASE_DIRECT_URL") or env["HANDHELD_DATABASE_URL"]
    print(f"migrations applied: {asyncio.run(_migrate(direct))}")
    demo_file = root / "demo-staff.txt"
    if created := asyncio.run(seed_demo(load_settings(env))):
        demo_file.write_text("\n".join(created) + "\n")
        demo_file.chmod(0o600)
    api_cmd = [sys.executable, "-m", "api.cli", "serve", "--port", str(settings.port)]
    api = _spawn("api", api_cmd, env, children)
    worker_cmd = [sys.executable, "-m", "api.cli", "worker"]
    _spawn("worker", worker_cmd, env, children)
    base = f"http://127.0.0.1:{settings.port}"
    # Generous: importing the whole API takes a while on a busy machine; it is watched meanwhile.
    wait_for_port("127.0.0.1", settings.port, 120, api.process)
    items = _wait_for_catalogue(base, timeout=60)
    _banner(base, sandbox_urls, root, items, time.monotonic() - started, demo_file)
    while True:
        time.sleep(0.5)
        for child in list(children):
            status = child.process.poll()
            if child.name == "worker" and status is not None:
                # The worker rides out a database restart by itself and exits (non-zero)
                # only when it cannot: be its supervisor and start it again.
                print(
                    f"handheld dev: worker exited ({status}); starting it again",
                    file=sys.stderr,
                )
                children.remove(child)
                stop_group(child.process)  # whatever it left in its group
                time.sleep(WORKER_RESTART_DELAY_S)
                _spawn("worker", worker_cmd, env, children)
        if any(c.process.poll() is not None for c in children if c.name != "worker"):
            break
    failed = [c.name for c in children if c.process.poll() is not None]
    print(f"handheld dev: {', '.join(failed)} exited; stopping everything", file=sys.stderr)


async def _ensure_database(admin_url: str, name: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def _migrate(url: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return len(await apply_migrations(conn))
    finally:
        await conn.close()


def _ensure_dev_secrets(root: Path, env: dict[str, str]) -> None:
    """Personal-data keys and token signing keys, made once and kept with the dev data."""
    keys_dir = root / "keys"
    if not (keys_dir / "current").exists():
        keys_dir.mkdir(parents=True, exist_ok=True)
        SigningKeys.generate(keys_dir)
    env.setdefault("HANDHELD_AUTH_KEYS_DIR", str(keys_dir))
    secrets_file = root / "pii-keys.json"
    if not secrets_file.exists():
        keys, current, lookup = generate_keyset()
        secrets_file.write_text(json.dumps({"keys": keys, "current": current, "lookup": lookup}))
        secrets_file.chmod(0o600)
    stored = json.loads(secrets_file.read_text())
    env.setdefault("HANDHELD_PII_KEYS", stored["keys"])
    env.setdefault("HANDHELD_PII_CURRENT_KEY_ID", stored["current"])
    env.setdefault("HANDHELD_PII_LOOKUP_KEY", stored["lookup"])
    # Our SM2 key that signs licence display codes (亮证).
    display_key = root / "keys" / "licence-display.json"
    if not display_key.exists():
        from core.sm2 import Sm2KeyPair

        Sm2KeyPair.generate("dev-display").save(display_key)
    env.setdefault("HANDHELD_LICENCES_DISPLAY_KEY_PATH", str(display_key))


def _start_sandbox(
    port: int, data_dir: Path, env: dict[str, str], children: list[_Child]
) -> dict[str, str]:
    # The preferred ports are this port + 101 … + 108; the sandbox falls back to free ones for
    # any already taken (checking here first would race with whatever takes a port before the
    # sandbox binds it) and writes where each one listens to the ports file.
    data_dir.mkdir(parents=True, exist_ok=True)
    ports_file = data_dir / "ports.json"
    ports_file.unlink(missing_ok=True)  # a previous run's
    cmd = [
        sys.executable,
        "-m",
        "sandbox",
        "--host",
        "127.0.0.1",
        "--provincial-port",
        str(port + 101),
        "--wechat-port",
        str(port + 102),
        "--sms-port",
        str(port + 103),
        "--apppush-port",
        str(port + 104),
        "--wechatpay-port",
        str(port + 105),
        "--hallqueue-port",
        str(port + 107),
        "--hallqueue-api-key",
        DEV_HALLQUEUE_KEY,
        "--hallqueue-callback-url",
        f"http://127.0.0.1:{port}/api/v1/hooks/hallqueue/events",
        "--hallqueue-callback-secret",
        DEV_HALLQUEUE_SECRET,
        "--wechat-appid",
        DEV_WECHAT_APPID,
        "--apppush-app-key",
        DEV_APPPUSH_KEY,
        "--apppush-master-secret",
        DEV_APPPUSH_SECRET,
        "--wechat-push-url",
        f"http://127.0.0.1:{port}/api/v1/hooks/wechat/message-push",
        "--data-dir",
        str(data_dir),
        "--callback-url",
        f"http://127.0.0.1:{port}/api/v1/hooks/provincial/cases",
        "--callback-secret",
        DEV_CALLBACK_SECRET,
        # The stand-in's clerks move each case one step every 20 s, so a demo progresses.
        "--auto-process-seconds",
        "20",
        "--hotline-port",
        str(port + 106),
        "--hotline-api-key",
        DEV_HOTLINE_KEY,
        "--hotline-callback-url",
        f"http://127.0.0.1:{port}/api/v1/hooks/hotline/tickets",
        "--hotline-callback-secret",
        DEV_HOTLINE_SECRET,
        # The 12345 operators move each ticket one step every 30 s, so a demo gets its reply.
        "--hotline-auto-process-seconds",
        "30",
        "--postal-port",
        str(port + 108),
        "--postal-callback-secret",
        DEV_POSTAL_SECRET,
        # The couriers move each shipment one tracking step every 30 s.
        "--postal-auto-process-seconds",
        "30",
        "--ports-file",
        str(ports_file),
    ]
    process = _spawn("sandbox", cmd, env, children).process
    ports = wait_for_ports_file(ports_file, 60, process)
    urls = {
        label: f"http://127.0.0.1:{ports[name]}"
        for label, name in (
            ("provincial platform", "provincial"),
            ("WeChat", "wechat"),
            ("SMS gateway", "sms"),
            ("app push", "apppush"),
            ("WeChat Pay", "wechatpay"),
            ("hall calling system", "hallqueue"),
            ("12345 hotline", "hotline"),
            ("postal courier", "postal"),
        )
    }
    _configure_wechatpay(urls["WeChat Pay"], data_dir / "wechatpay", port, env)
    env["HANDHELD_PROVINCIAL_BASE_URL"] = urls["provincial platform"]
    env.setdefault("HANDHELD_PROVINCIAL_API_KEY", DEV_PROVINCIAL_KEY)
    env["HANDHELD_WECHAT_BASE_URL"] = urls["WeChat"]
    env.setdefault("HANDHELD_WECHAT_APPID", DEV_WECHAT_APPID)
    env.setdefault("HANDHELD_WECHAT_SECRET", DEV_WECHAT_SECRET)
    env["HANDHELD_SMS_BASE_URL"] = urls["SMS gateway"]
    env["HANDHELD_HALLQUEUE_BASE_URL"] = urls["hall calling system"]
    env.setdefault("HANDHELD_HALLQUEUE_API_KEY", DEV_HALLQUEUE_KEY)
    env.setdefault("HANDHELD_HALLQUEUE_CALLBACK_SECRET", DEV_HALLQUEUE_SECRET)
    env.setdefault("HANDHELD_HALLQUEUE_QR_SECRET", "dev-hall-qr-secret")
    env["HANDHELD_APPPUSH_BASE_URL"] = urls["app push"]
    env.setdefault("HANDHELD_APPPUSH_APP_KEY", DEV_APPPUSH_KEY)
    env.setdefault("HANDHELD_APPPUSH_MASTER_SECRET", DEV_APPPUSH_SECRET)
    # The stand-in's defaults for message push (消息推送).
    env.setdefault("HANDHELD_WECHAT_PUSH_TOKEN", "devpushtoken")
    env.setdefault("HANDHELD_WECHAT_PUSH_AES_KEY", "c2FuZGJveC13ZWNoYXQtcHVzaC1kZXYta2V5LTAwMDE")
    env.setdefault("HANDHELD_SMS_API_KEY", DEV_SMS_KEY)
    env.setdefault("HANDHELD_PROVINCIAL_OAUTH_CLIENT_ID", DEV_OAUTH_CLIENT_ID)
    env.setdefault("HANDHELD_PROVINCIAL_OAUTH_CLIENT_SECRET", DEV_OAUTH_CLIENT_SECRET)
    env.setdefault("HANDHELD_PROVINCIAL_OAUTH_ISSUER", DEV_OAUTH_ISSUER)
    env.setdefault("HANDHELD_PROVINCIAL_OAUTH_REDIRECT_URI", f"http://127.0.0.1:{port}/sso/return")
    env.setdefault("HANDHELD_PROVINCIAL_CALLBACK_SECRET", DEV_CALLBACK_SECRET)
    env.setdefault(
        "HANDHELD_PROVINCIAL_CALLBACK_URL", f"http://127.0.0.1:{port}/api/v1/hooks/provincial/cases"
    )
    env["HANDHELD_HOTLINE_BASE_URL"] = urls["12345 hotline"]
    env.setdefault("HANDHELD_HOTLINE_API_KEY", DEV_HOTLINE_KEY)
    env.setdefault("HANDHELD_HOTLINE_CALLBACK_SECRET", DEV_HOTLINE_SECRET)
    env.setdefault(
        "HANDHELD_HOTLINE_CALLBACK_URL", f"http://127.0.0.1:{port}/api/v1/hooks/hotline/tickets"
    )
    env["HANDHELD_POSTAL_BASE_URL"] = urls["postal courier"]
    env.setdefault("HANDHELD_POSTAL_CALLBACK_SECRET", DEV_POSTAL_SECRET)
    env.setdefault(
        "HANDHELD_POSTAL_CALLBACK_URL", f"http://127.0.0.1:{port}/api/v1/hooks/postal/events"
    )
    return urls


def _configure_wechatpay(url: str, data_dir: Path, port: int, env: dict[str, str]) -> None:
    """Be the stand-in's merchant: its credentials (as a merchant platform hands them out) from
    its data directory, and WeChat Pay's public key from its control API."""
    merchant_dir = data_dir / "merchant"
    merchant = json.loads((merchant_dir / "merchant.json").read_text())
    with urllib.request.urlopen(f"{url}/_control/keys", timeout=5) as resp:  # noqa: S310 - loopback
        public_key = json.loads(resp.read())["publicKey"]
    public_key_path = data_dir / "wechatpay-public-key.pem"
    public_key_path.write_text(public_key["pem"])
    hooks = f"http://127.0.0.1:{port}/api/v1/hooks/wechatpay"
    for name, value in {
        "BASE_URL": url,
        "MCHID": merchant["mchid"],
        "APPID": merchant["appids"][0],
        "APP_APPID": merchant["appids"][-1],
        "MERCHANT_SERIAL_NO": merchant["serialNo"],
        "MERCHANT_PRIVATE_KEY_PATH": str(merchant_dir / "apiclient_key.pem"),
        "APIV3_KEY": merchant["apiv3Key"],
        "PUBLIC_KEY_ID": public_key["id"],
        "PUBLIC_KEY_PATH": str(public_key_path),
        "NOTIFY_URL": f"{hooks}/transactions",
        "REFUND_NOTIFY_URL": f"{hooks}/refunds",
    }.items():
        env.setdefault(f"HANDHELD_WECHATPAY_{name}", value)


def _wait_for_catalogue(base: str, timeout: float) -> int:
    """Demo data is the stand-in's catalogue, synced by the worker's first job."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            url = base + "/api/v1/items?pageSize=1"  # our own loopback http URL
            with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310
                total = int(json.load(resp)["total"])
            if total:
                return total
        except OSError:
            pass
        time.sleep(0.3)
    return 0


def _banner(
    base: str, sandbox: dict[str, str], root: Path, items: int, elapsed: float, demo: Path
) -> None:
    lines = [
        "",
        f"掌上办 handheld is running ({elapsed:.1f}s); Ctrl-C stops everything.",
        f"  API            {base}/api/v1/items",
        f"  OpenAPI docs   {base}/schema/swagger   (schema: {base}/schema/openapi.json)",
        f"  health         {base}/healthz  {base}/readyz  {base}/metrics",
        *(f"  stand-in       {name}: {url}" for name, url in sandbox.items()),
        f"  data           {root}",
        f"  catalogue      {items} service items synced",
        f"  ops console    demo staff of every role: {demo}",
        "",
    ]
    print("\n".join(lines), flush=True)
