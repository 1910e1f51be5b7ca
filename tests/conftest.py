"""Real PostgreSQL and a real Redis-protocol server for every test run.

Embedded ones (from the pip wheels) by default; HANDHELD_TEST_DATABASE_URL (an admin URL on a
server where we may create databases) and HANDHELD_TEST_REDIS_URL switch to real resources.
The schema is built only by running the migrations, once, into a template database; each
test gets its own database cloned from it, and a flushed Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest
from litestar import Litestar
from redis.asyncio import Redis

from api.app import asgi_app, create_app
from core.embedded import EmbeddedPostgres, EmbeddedValkey, free_port
from core.migrate import apply_migrations
from core.pii import generate_keyset
from core.settings import Settings, load_settings
from core.signing import SigningKeys

if TYPE_CHECKING:
    from sandbox.runner import RunningApp
    from sandbox.wechatpay.handle import WeChatPayStandIn

TEMPLATE_DB = "handheld_test_template"
PROVINCIAL_KEY = "test-provincial-key"
OAUTH_CLIENT_ID = "handheld-test"
OAUTH_CLIENT_SECRET = "test-oauth-secret"
OAUTH_REDIRECT_URI = "http://127.0.0.1/sso/return"
OAUTH_ISSUER = "https://sso.xiling.gov.cn"
WECHAT_APPID = "wxtest0000000001"
WECHAT_SECRET = "test-wechat-secret"
SMS_KEY = "test-sms-key"
APPPUSH_KEY = "testappkey"
APPPUSH_SECRET = "test-master-secret"
CALLBACK_SECRET = "test-callback-secret"
WECHAT_PUSH_TOKEN = "testpushtoken"
WECHAT_PUSH_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters


def _with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + database))


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    if url := os.environ.get("HANDHELD_TEST_DATABASE_URL"):
        yield url
        return
    with tempfile.TemporaryDirectory(prefix="handheld-pg-") as tmp:
        server = EmbeddedPostgres(Path(tmp) / "pg", durable=False)
        server.start()
        try:
            yield server.admin_url
        finally:
            server.stop()


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    if url := os.environ.get("HANDHELD_TEST_REDIS_URL"):
        yield url
        return
    with tempfile.TemporaryDirectory(prefix="handheld-valkey-") as tmp:
        server = EmbeddedValkey(Path(tmp), durable=False)
        server.start()
        try:
            yield server.url
        finally:
            server.stop()


@pytest.fixture(scope="session")
async def template_database(pg_admin_url: str) -> str:
    admin = await asyncpg.connect(pg_admin_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE_DB}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{TEMPLATE_DB}"')
    finally:
        await admin.close()
    conn = await asyncpg.connect(_with_database(pg_admin_url, TEMPLATE_DB))
    try:
        await apply_migrations(conn)
    finally:
        await conn.close()
    return TEMPLATE_DB


@pytest.fixture
async def database_url(pg_admin_url: str, template_database: str) -> AsyncIterator[str]:
    name = "t_" + uuid.uuid4().hex[:16]
    admin = await asyncpg.connect(pg_admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"')
        yield _with_database(pg_admin_url, name)
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(database_url)
    try:
        yield conn
    finally:
        await conn.close()


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    await client.flushall()
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
async def provincial(tmp_path: Path) -> AsyncIterator[RunningApp]:
    """The provincial platform stand-in on a loopback port, fresh for each test."""
    from sandbox.provincial.app import build_provincial_app
    from sandbox.provincial.identity import OAuthClient
    from sandbox.runner import start_app

    clients = {OAUTH_CLIENT_ID: OAuthClient(OAUTH_CLIENT_SECRET, (OAUTH_REDIRECT_URI,))}
    app = build_provincial_app(
        api_key=PROVINCIAL_KEY,
        oauth_clients=clients,
        issuer=OAUTH_ISSUER,
        callback_secret=CALLBACK_SECRET,
        callback_retry_base=0.05,
    )
    running = await start_app(app, "127.0.0.1", 0)
    try:
        yield running
    finally:
        await running.runner.cleanup()


@pytest.fixture
async def wechat(api_port: int) -> AsyncIterator[RunningApp]:
    from sandbox.runner import start_app
    from sandbox.wechat.app import build_wechat_app

    # Message-push events go to a live API, when a test runs one on `api_port`.
    app = build_wechat_app(
        appid=WECHAT_APPID,
        secret=WECHAT_SECRET,
        push_url=f"http://127.0.0.1:{api_port}/api/v1/hooks/wechat/message-push",
        push_token=WECHAT_PUSH_TOKEN,
        push_aes_key=WECHAT_PUSH_AES_KEY,
    )
    running = await start_app(app)
    try:
        yield running
    finally:
        await running.runner.cleanup()


@pytest.fixture
async def sms() -> AsyncIterator[RunningApp]:
    from sandbox.runner import start_app
    from sandbox.sms.app import build_sms_app

    running = await start_app(build_sms_app(api_key=SMS_KEY))
    try:
        yield running
    finally:
        await running.runner.cleanup()


@pytest.fixture
async def apppush() -> AsyncIterator[RunningApp]:
    from sandbox.apppush.app import build_apppush_app
    from sandbox.runner import start_app

    running = await start_app(build_apppush_app(app_key=APPPUSH_KEY, master_secret=APPPUSH_SECRET))
    try:
        yield running
    finally:
        await running.runner.cleanup()


WECHATPAY_MCHID = "1900000109"
WECHATPAY_APP_APPID = "wx8888888888888888"


@pytest.fixture(scope="session")
def wechatpay_keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """RSA-2048 keys made once per run: the stand-in's (``platform/``) and the merchant's."""
    from sandbox.wechatpay.keys import MerchantKey, PlatformKeys

    directory = tmp_path_factory.mktemp("wechatpay-keys")
    PlatformKeys.load_or_generate(directory / "platform")
    MerchantKey.load_or_generate(
        directory / "merchant", WECHATPAY_MCHID, (WECHAT_APPID, WECHATPAY_APP_APPID)
    )
    return directory


@pytest.fixture
async def wechatpay(tmp_path: Path, wechatpay_keys: Path) -> AsyncIterator[WeChatPayStandIn]:
    """The WeChat Pay stand-in with one merchant (mchid 1900000109, appids: the mini-program's
    WECHAT_APPID and the app's WECHATPAY_APP_APPID), public-key mode, retries 1000× faster."""
    from sandbox.runner import start_app
    from sandbox.wechatpay import build_wechatpay_app
    from sandbox.wechatpay.handle import WeChatPayStandIn
    from sandbox.wechatpay.keys import MerchantKey

    key = MerchantKey.load_or_generate(
        wechatpay_keys / "merchant", WECHATPAY_MCHID, (WECHAT_APPID, WECHATPAY_APP_APPID)
    )
    app = build_wechatpay_app(
        merchants=[key.merchant()],
        keys_dir=wechatpay_keys / "platform",
        notify_time_scale=0.001,
    )
    running = await start_app(app)
    try:
        yield WeChatPayStandIn.create(running, key, tmp_path / "wechatpay-merchant")
    finally:
        await running.runner.cleanup()


@pytest.fixture(scope="session")
def auth_keys_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("signing-keys")
    SigningKeys.generate(directory)
    return directory


@pytest.fixture(scope="session")
def licence_display_key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Our SM2 key that signs licence display codes (亮证)."""
    from core.sm2 import Sm2KeyPair

    path = tmp_path_factory.mktemp("licence-key") / "display-key.json"
    Sm2KeyPair.generate("test-display").save(path)
    return path


@pytest.fixture(scope="session")
def pii_keyset() -> tuple[str, str, str]:
    return generate_keyset()


@pytest.fixture
def api_port() -> int:
    """Where a live API would listen in this test (the platform's callbacks go there)."""
    return free_port()


@pytest.fixture
def settings(
    api_port: int,
    tmp_path: Path,
    database_url: str,
    redis: Redis,
    redis_url: str,
    provincial: RunningApp,
    wechat: RunningApp,
    sms: RunningApp,
    apppush: RunningApp,
    auth_keys_dir: Path,
    pii_keyset: tuple[str, str, str],
    licence_display_key: Path,
    wechatpay: WeChatPayStandIn,
) -> Settings:
    keys, current, lookup = pii_keyset
    wechatpay_public_key = tmp_path / "wechatpay-public-key.pem"
    wechatpay_public_key.write_text(wechatpay.public_key_pem)
    pay_hooks = f"http://127.0.0.1:{api_port}/api/v1/hooks/wechatpay"
    return load_settings(
        {},
        env="test",
        log_json=True,
        database={"url": database_url, "pool_min_size": 1, "pool_max_size": 5},
        redis={"url": redis_url},
        provincial={
            "base_url": provincial.url,
            "api_key": PROVINCIAL_KEY,
            "feed_page_size": 7,
            "oauth_client_id": OAUTH_CLIENT_ID,
            "oauth_client_secret": OAUTH_CLIENT_SECRET,
            "oauth_redirect_uri": OAUTH_REDIRECT_URI,
            "oauth_issuer": OAUTH_ISSUER,
            "callback_secret": CALLBACK_SECRET,
            "callback_url": f"http://127.0.0.1:{api_port}/api/v1/hooks/provincial/cases",
        },
        port=api_port,
        storage={
            "local_root": str(tmp_path / "materials"),
            "link_secret": "test-link-secret-0123456789abcdef-0123",
        },
        data_dir=str(tmp_path / "data"),
        wechat={
            "base_url": wechat.url,
            "appid": WECHAT_APPID,
            "secret": WECHAT_SECRET,
            "push_token": WECHAT_PUSH_TOKEN,
            "push_aes_key": WECHAT_PUSH_AES_KEY,
        },
        sms={"base_url": sms.url, "api_key": SMS_KEY},
        apppush={"base_url": apppush.url, "app_key": APPPUSH_KEY, "master_secret": APPPUSH_SECRET},
        pii={"keys": keys, "current_key_id": current, "lookup_key": lookup},
        # Per-phone SMS limits loose enough for flows that sign in twice; the limit itself is
        # tested with its own settings.
        auth={"keys_dir": str(auth_keys_dir), "sms_per_phone": "3/minute;10/hour"},
        http={"retries": 1, "backoff_base": 0.01, "total_timeout": 3.0},
        jobs={"initial_delay_s": 0.05, "max_delay_s": 0.2, "max_attempts": 3},
        licences={"display_key_path": str(licence_display_key)},
        # We are the stand-in's merchant; it signs in WeChat Pay public-key mode.
        wechatpay={
            "base_url": wechatpay.url,
            "mchid": wechatpay.merchant.mchid,
            "appid": wechatpay.merchant.appid,
            "app_appid": wechatpay.merchant.app_appid,
            "merchant_serial_no": wechatpay.merchant.serial_no,
            "merchant_private_key_path": str(wechatpay.merchant.private_key_path),
            "apiv3_key": wechatpay.merchant.apiv3_key,
            "public_key_id": wechatpay.public_key_id,
            "public_key_path": str(wechatpay_public_key),
            "notify_url": f"{pay_hooks}/transactions",
            "refund_notify_url": f"{pay_hooks}/refunds",
            "poll_delays_s": "0.5,0.5,1",
        },
    )


@contextlib.asynccontextmanager
async def serve_in_process(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan, on the test's own event loop, spoken to over ASGI.

    The lifespan runs in a task of its own: it holds an anyio cancel scope, which must be
    left by the task that entered it (fixture setup and teardown run in different tasks).
    """
    started, stop = asyncio.Event(), asyncio.Event()

    async def lifespan() -> None:
        async with app.lifespan():
            started.set()
            await stop.wait()

    task = asyncio.create_task(lifespan())
    waiter = asyncio.create_task(started.wait())
    await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        waiter.cancel()
        task.result()
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=asgi_app(app)), base_url="http://testserver"
        ) as client:
            yield client
    finally:
        stop.set()
        await task


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_in_process(create_app(settings, configure_logs=False)) as test_client:
        yield test_client


def settings_env(settings: Settings) -> dict[str, str]:
    """The HANDHELD_* variables that load back into ``settings`` (for child processes)."""
    import msgspec

    env: dict[str, str] = {}
    for field in msgspec.structs.fields(settings):
        value = getattr(settings, field.name)
        if isinstance(value, msgspec.Struct):
            for inner in msgspec.structs.fields(value):
                item = getattr(value, inner.name)
                if item is not None:
                    text = item.reveal() if hasattr(item, "reveal") else str(item)
                    env[f"HANDHELD_{field.name}_{inner.name}".upper()] = text
        else:
            env[f"HANDHELD_{field.name}".upper()] = str(value)
    return env
