"""Fixtures every test may request; what they build lives in ``tests/fixtures/``.

PostgreSQL and Valkey run once per test run (``tests/fixtures/databases.py``); each test gets
its own database, cloned from a migrated template, and a flushed Redis. The application's pools
reach it through PgBouncer in transaction mode (``pooled_database_url``); ``database_url`` and
``db`` are PostgreSQL itself.

The stand-ins (``provincial``, ``wechat``, ``sms``, ``apppush``, ``wechatpay``, ``hotline``,
``postal``) start once per run, the first time a test requests one, and are reset to a new stand-in's state before and
after every test that requests it. ``settings`` wires in only the stand-ins the test requests,
by name or through another fixture (``outside``: the identity ones; ``stand_ins``, and so
``worker``: all six); the others point at a tripwire that fails the test if it is reached. A
test that needs no stand-in starts none.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import asyncpg
import httpx
import pytest
from redis.asyncio import Redis

from api.app import create_app
from api.composition import Services, open_services
from core.embedded import EmbeddedPgBouncer, free_port
from core.pii import generate_keyset
from core.settings import Settings
from sandbox.runner import RunningApp
from sandbox.wechatpay.handle import WeChatPayStandIn
from tests.fixtures import databases, keys, objectstore, standins
from tests.fixtures.catalog import Platform
from tests.fixtures.declarations import Applicant, synced
from tests.fixtures.identity import Outside, sso, user
from tests.fixtures.servers import in_process_worker, running_server, serve_in_process
from tests.fixtures.settings import build_settings

# -- databases ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    with databases.postgres_admin_url() as url:
        yield url


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    with databases.redis_server_url() as url:
        yield url


@pytest.fixture(scope="session")
async def template_database(pg_admin_url: str) -> str:
    return await databases.migrated_template(pg_admin_url)


@pytest.fixture
async def database_url(pg_admin_url: str, template_database: str) -> AsyncIterator[str]:
    async with databases.cloned_database(pg_admin_url, template_database) as url:
        yield url


@pytest.fixture(scope="session")
def pgbouncer(pg_admin_url: str) -> Iterator[EmbeddedPgBouncer | None]:
    """PgBouncer in transaction mode in front of the run's PostgreSQL (None when
    HANDHELD_TEST_PGBOUNCER=0): the application's pools reach each test's database through it."""
    with databases.pgbouncer_in_front(pg_admin_url) as bouncer:
        yield bouncer


@pytest.fixture
def pooled_database_url(database_url: str, pgbouncer: EmbeddedPgBouncer | None) -> str:
    """This test's database as the application's pools reach it (through PgBouncer)."""
    return databases.through(pgbouncer, database_url)


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


# -- object storage: S3 on a real S3-compatible server (moto's, a process of its own) ---------


@pytest.fixture(scope="session")
def s3_server() -> Iterator[objectstore.MotoServer]:
    with objectstore.moto_server() as server:
        yield server


@pytest.fixture
def s3_bucket(s3_server: objectstore.MotoServer) -> Iterator[objectstore.Bucket]:
    """An empty bucket on a server reset before and after the test."""
    yield objectstore.fresh_bucket(s3_server)
    s3_server.reset()


@pytest.fixture
def storage_backend() -> str:
    """Where this test's materials go: ``local``, or ``s3`` (a fresh ``s3_bucket``). A test
    parametrises it (``pytest.mark.parametrize("storage_backend", ["local", "s3"])``) to run
    on both."""
    return "local"


# -- stand-ins: one server per run, reset around each test that requests it --------------------


@pytest.fixture(scope="session")
async def tripwire() -> AsyncIterator[standins.Tripwire]:
    async with standins.serving_tripwire() as wire:
        yield wire


@pytest.fixture(scope="session")
async def provincial_server() -> AsyncIterator[RunningApp]:
    async with standins.serving(standins.provincial_app()) as server:
        yield server


@pytest.fixture
async def provincial(provincial_server: RunningApp) -> AsyncIterator[RunningApp]:
    """The provincial platform stand-in (catalogue, identity, cases, licences, payments)."""
    yield await standins.fresh_provincial(provincial_server)
    await standins.fresh_provincial(provincial_server)


@pytest.fixture
async def platform(provincial: RunningApp) -> AsyncIterator[Platform]:
    """A driver of the provincial stand-in's item feed and its control API."""
    async with aiohttp.ClientSession() as session:
        yield Platform(session, provincial.url)


@pytest.fixture(scope="session")
async def wechat_server() -> AsyncIterator[RunningApp]:
    async with standins.serving(standins.wechat_app()) as server:
        yield server


@pytest.fixture
def wechat(wechat_server: RunningApp, api_port: int) -> Iterator[RunningApp]:
    """The WeChat stand-in; its message-push events go to a live API on ``api_port``."""
    yield standins.fresh_wechat(wechat_server, api_port)
    standins.fresh_wechat(wechat_server, api_port)


@pytest.fixture(scope="session")
async def sms_server() -> AsyncIterator[RunningApp]:
    async with standins.serving(standins.sms_app()) as server:
        yield server


@pytest.fixture
def sms(sms_server: RunningApp) -> Iterator[RunningApp]:
    yield standins.fresh_sms(sms_server)
    standins.fresh_sms(sms_server)


@pytest.fixture(scope="session")
async def apppush_server() -> AsyncIterator[RunningApp]:
    async with standins.serving(standins.apppush_app()) as server:
        yield server


@pytest.fixture
def apppush(apppush_server: RunningApp) -> Iterator[RunningApp]:
    yield standins.fresh_apppush(apppush_server)
    standins.fresh_apppush(apppush_server)


@pytest.fixture(scope="session")
async def hallqueue_server() -> AsyncIterator[RunningApp]:
    async with standins.serving(standins.hallqueue_app()) as server:
        yield server


@pytest.fixture
async def hallqueue(hallqueue_server: RunningApp, api_port: int) -> AsyncIterator[RunningApp]:
    """The halls' calling system; its events go to a live API on ``api_port``."""
    yield await standins.fresh_hallqueue(hallqueue_server, api_port)
    await standins.fresh_hallqueue(hallqueue_server, api_port)


@pytest.fixture(scope="session")
def wechatpay_keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return standins.make_wechatpay_keys(tmp_path_factory.mktemp("wechatpay-keys"))


@pytest.fixture(scope="session")
def wechatpay_account(
    wechatpay_keys: Path, tmp_path_factory: pytest.TempPathFactory
) -> standins.WechatPayAccount:
    return standins.wechatpay_account(wechatpay_keys, tmp_path_factory.mktemp("wechatpay-account"))


@pytest.fixture(scope="session")
async def wechatpay_server(
    wechatpay_keys: Path, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[WeChatPayStandIn]:
    directory = tmp_path_factory.mktemp("wechatpay-merchant")
    async with standins.serving_wechatpay(wechatpay_keys, directory) as stand_in:
        yield stand_in


@pytest.fixture
def wechatpay(wechatpay_server: WeChatPayStandIn) -> Iterator[WeChatPayStandIn]:
    """The WeChat Pay stand-in with one merchant (mchid 1900000109, appids: the mini-program's
    WECHAT_APPID and the app's WECHATPAY_APP_APPID), public-key mode, retries 1000× faster."""
    yield standins.fresh_wechatpay(wechatpay_server)
    standins.fresh_wechatpay(wechatpay_server)


@pytest.fixture(scope="session")
async def hotline_server() -> AsyncIterator[RunningApp]:
    async with standins.serving(standins.hotline_app()) as server:
        yield server


@pytest.fixture
async def hotline(hotline_server: RunningApp) -> AsyncIterator[RunningApp]:
    """The 12345 hotline stand-in (tickets, signed callbacks to a live API)."""
    yield await standins.fresh_hotline(hotline_server)
    await standins.fresh_hotline(hotline_server)


@pytest.fixture(scope="session")
async def postal_server() -> AsyncIterator[RunningApp]:
    async with standins.serving(standins.postal_app()) as server:
        yield server


@pytest.fixture
async def postal(postal_server: RunningApp, provincial: RunningApp) -> AsyncIterator[RunningApp]:
    """The postal courier (waybills, signed tracking callbacks to a live API), linked to the
    platform stand-in, which books the shipments of paper results with it."""
    yield await standins.fresh_postal(postal_server, provincial)
    await standins.fresh_postal(postal_server, provincial)
    standins.unlink_postal(provincial)


@pytest.fixture
def stand_ins(
    provincial: RunningApp,
    wechat: RunningApp,
    sms: RunningApp,
    apppush: RunningApp,
    wechatpay: WeChatPayStandIn,
    hallqueue: RunningApp,
    hotline: RunningApp,
    postal: RunningApp,
) -> None:
    """Every stand-in: for a test that runs a worker (in process or a process of its own), the
    whole API (schemathesis), or our side as a citizen meets it, end to end."""


# -- keys made once per run -------------------------------------------------------------------


@pytest.fixture(scope="session")
def auth_keys_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return keys.signing_keys(tmp_path_factory.mktemp("signing-keys"))


@pytest.fixture(scope="session")
def licence_display_key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return keys.display_key(tmp_path_factory.mktemp("licence-key") / "display-key.json")


@pytest.fixture(scope="session")
def pii_keyset() -> tuple[str, str, str]:
    return generate_keyset()


# -- our side: settings, the API, its services, a worker --------------------------------------


@pytest.fixture
def api_port() -> int:
    """Where a live API would listen in this test (the platform's callbacks go there)."""
    return free_port()


@pytest.fixture
def settings(
    request: pytest.FixtureRequest,
    api_port: int,
    tmp_path: Path,
    database_url: str,
    pooled_database_url: str,
    pgbouncer: EmbeddedPgBouncer | None,
    redis: Redis,
    redis_url: str,
    auth_keys_dir: Path,
    pii_keyset: tuple[str, str, str],
    licence_display_key: Path,
    wechatpay_account: standins.WechatPayAccount,
    tripwire: standins.Tripwire,
    storage_backend: str,
) -> Iterator[Settings]:
    """This test's settings: the stand-ins it requests, the tripwire for the others."""
    urls = {
        name: request.getfixturevalue(name).url
        if name in request.fixturenames
        else tripwire.url(name)
        for name in standins.STAND_INS
    }
    bucket: objectstore.Bucket | None = (
        request.getfixturevalue("s3_bucket") if storage_backend == "s3" else None
    )
    tripwire.arm()
    yield build_settings(
        urls=urls,
        api_port=api_port,
        tmp_path=tmp_path,
        database_url=pooled_database_url,
        direct_database_url=database_url,
        # Before PgBouncer 1.21 no prepared statement survives a transaction's end.
        statement_cache_size=0
        if pgbouncer is not None and not pgbouncer.supports_prepared_statements
        else 100,
        redis_url=redis_url,
        auth_keys_dir=auth_keys_dir,
        pii_keyset=pii_keyset,
        licence_display_key=licence_display_key,
        wechatpay=wechatpay_account,
        s3=bucket.settings if bucket is not None else None,
    )
    tripwire.check()


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_in_process(create_app(settings, configure_logs=False)) as test_client:
        yield test_client


@pytest.fixture
async def services(settings: Settings) -> AsyncIterator[Services]:
    async with open_services(settings) as opened:
        yield opened


@pytest.fixture
async def live(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """Our API on a real port: the one the platform stand-in sends its callbacks to."""
    async with (
        running_server(settings, port=settings.port) as base,
        httpx.AsyncClient(base_url=base, timeout=10) as live_client,
    ):
        yield live_client


@pytest.fixture
async def worker(
    services: Services, stand_ins: None, request: pytest.FixtureRequest
) -> AsyncIterator[None]:
    """A worker running every domain's jobs, in process. Their schedules follow the wall
    clock, so a scheduled run can fall anywhere in a test: a test that runs one of them itself
    (a sync, a supervision pass) and asserts what that run did leaves its schedule out with
    ``@pytest.mark.unscheduled(entrypoint, ...)``."""
    marker = request.node.get_closest_marker("unscheduled")
    async with in_process_worker(services, unscheduled=frozenset(marker.args if marker else ())):
        yield


# -- the outside world and a citizen ----------------------------------------------------------


@pytest.fixture
async def outside(
    provincial: RunningApp, wechat: RunningApp, sms: RunningApp
) -> AsyncIterator[Outside]:
    """Drivers of the identity stand-ins: the platform, WeChat, the SMS gateway."""
    async with aiohttp.ClientSession() as session:
        yield Outside(session, provincial.url, wechat.url, sms.url)


@pytest.fixture
async def applicant(client: httpx.AsyncClient, outside: Outside, services: Services) -> Applicant:
    """张三, signed in through the platform's unified identity, with the catalogue synced."""
    await synced(services)
    token = (await sso(client, outside, user("zhangsan"))).json()["accessToken"]
    return Applicant(client, outside, token)
