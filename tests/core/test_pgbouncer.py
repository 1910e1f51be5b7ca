"""PgBouncer in transaction mode between the application and PostgreSQL, as in production.

The suite's pools (API and worker) reach each test's database through the PgBouncer of
``tests/fixtures/databases.py``; these tests show that they really do, and that each place
where transaction pooling breaks a PostgreSQL client is handled:

- session state: a SET without LOCAL stays on the server connection for the next client, so the
  application sets none (and resets nothing on release: that would run on another's);
- prepared statements: a statement asyncpg prepared on one server connection is looked for on
  another (before PgBouncer 1.21), so the pools run with asyncpg's statement cache off;
- LISTEN and session advisory locks belong to a server connection that PgBouncer hands to
  whichever client comes next: the worker's LISTEN connection and migrations go straight to
  PostgreSQL (``database.direct_url``).
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx
import msgspec
import pytest

from api.app import create_app
from core.db import connect, create_pool
from core.embedded import PG_BIN, EmbeddedPgBouncer
from core.jobs import JobRegistry, enqueue, run_jobs
from core.settings import JobSettings, Secret, Settings, load_settings
from tests.fixtures.identity import Outside, bearer, sso, user
from tests.fixtures.servers import serve_in_process


@pytest.fixture
def bouncer(pgbouncer: EmbeddedPgBouncer | None) -> EmbeddedPgBouncer:
    """The suite's PgBouncer; these tests are skipped when the suite runs without it."""
    if pgbouncer is None:
        pytest.skip("HANDHELD_TEST_PGBOUNCER=0: the suite runs straight on PostgreSQL")
    return pgbouncer


async def admin_console(bouncer: EmbeddedPgBouncer, command: str) -> list[dict[str, str]]:
    """``SHOW …`` on PgBouncer's admin console. It speaks only the simple query protocol, which
    asyncpg uses for statements without results: psql asks it."""
    psql = await asyncio.create_subprocess_exec(
        str(PG_BIN / "psql"),
        "--csv",
        "--no-psqlrc",
        "-c",
        command,
        bouncer.admin_url,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await psql.communicate()
    assert psql.returncode == 0, err.decode()
    return list(csv.DictReader(io.StringIO(out.decode())))


def _database(url: str | Secret) -> str:
    text = url.reveal() if isinstance(url, Secret) else url
    return urlsplit(text).path.lstrip("/")


async def test_the_api_and_its_pool_go_through_pgbouncer(
    settings: Settings, client: httpx.AsyncClient, bouncer: EmbeddedPgBouncer
) -> None:
    assert urlsplit(settings.database.url.reveal()).port == bouncer.port
    ready = await client.get("/readyz")
    assert ready.status_code == 200, ready.text

    clients = await admin_console(bouncer, "SHOW CLIENTS")
    ours = [c for c in clients if c["database"] == _database(settings.database.url)]
    assert {c["application_name"] for c in ours} == {"handheld-api"}
    pools = await admin_console(bouncer, "SHOW POOLS")
    (pool,) = [p for p in pools if p["database"] == _database(settings.database.url)]
    assert pool["pool_mode"] == "transaction"
    stats = await admin_console(bouncer, "SHOW STATS")
    (served,) = [s for s in stats if s["database"] == _database(settings.database.url)]
    assert int(served["total_xact_count"]) > 0


def test_sessions_of_their_own_have_a_url_of_their_own() -> None:
    pooled = "postgresql://app:pw@pgbouncer:6432/handheld"
    direct = "postgresql://app:pw@postgres:5432/handheld"
    both = load_settings(
        {"HANDHELD_DATABASE_URL": pooled, "HANDHELD_DATABASE_DIRECT_URL": direct}
    ).database
    assert both.session_url().reveal() == direct
    assert "pw" not in repr(both)
    assert load_settings({"HANDHELD_DATABASE_URL": pooled}).database.session_url() == pooled


async def _is_direct(conn: Any) -> bool:
    """Whether ``conn`` is a session of PostgreSQL's own: PgBouncer answers a client's login
    with a cancel key of its own, not its server connection's backend."""
    return conn.get_server_pid() == await conn.fetchval("SELECT pg_backend_pid()")


async def test_sessions_of_their_own_go_straight_to_postgres(
    settings: Settings, bouncer: EmbeddedPgBouncer
) -> None:
    # The worker's LISTEN connection and the migrations' connection (core.db.connect).
    conn = await connect(settings.database)
    try:
        assert await _is_direct(conn)
    finally:
        await conn.close()
    # The pools (API, worker's handlers, CLI) through PgBouncer.
    pool = await create_pool(settings.database)
    try:
        async with pool.acquire() as pooled:
            assert not await _is_direct(pooled)
    finally:
        await pool.close()


class Ping(msgspec.Struct):
    n: int


async def test_a_job_enqueued_through_pgbouncer_wakes_the_worker(
    settings: Settings, bouncer: EmbeddedPgBouncer
) -> None:
    """The worker waits for NOTIFY, not for its poll (an hour here): a LISTEN made through
    PgBouncer would sit on a server connection other clients come to use, and the wake-up
    would be lost."""
    done: asyncio.Queue[int] = asyncio.Queue()

    async def ping(payload: Ping) -> None:
        await done.put(payload.n)

    registry = JobRegistry()
    registry.register("test.ping", ping, Ping)
    pool = await create_pool(settings.database)
    stop = asyncio.Event()
    worker = asyncio.create_task(
        run_jobs(
            lambda: connect(settings.database),
            pool,
            registry,
            JobSettings(),
            stop,
            dequeue_timeout=timedelta(hours=1),
        )
    )
    try:
        for n in range(1, 4):
            async with pool.acquire() as conn, conn.transaction():
                await enqueue(conn, "test.ping", Ping(n))
            async with asyncio.timeout(60):
                assert await done.get() == n
            # Let the worker go back to waiting before the next one.
            await asyncio.sleep(0.5)
    finally:
        stop.set()
        await asyncio.wait_for(worker, 30)
        await pool.close()


@pytest.fixture
async def narrow_bouncer(
    pg_admin_url: str, tmp_path: Path, bouncer: EmbeddedPgBouncer
) -> AsyncIterator[EmbeddedPgBouncer]:
    """A PgBouncer of this test's own with two server connections per database."""
    server = urlsplit(pg_admin_url)
    narrow = EmbeddedPgBouncer(
        tmp_path / "pgbouncer",
        server_host=server.hostname or "127.0.0.1",
        server_port=server.port or 5432,
        user=server.username or "postgres",
        password=server.password or "",
        pool_size=2,
    )
    await asyncio.to_thread(narrow.start)
    try:
        yield narrow
    finally:
        await asyncio.to_thread(narrow.stop)


_QUERY = "SELECT pg_backend_pid() AS pid, $1::int * 2 AS doubled"


async def _moved_to_another_server(a: Any, b: Any) -> list[int]:
    """``a`` runs a statement; ``b`` then holds the server connection ``a`` used in a
    transaction, so ``a``'s next run of the same statement lands on the other one."""
    first = await a.fetchrow(_QUERY, 1)
    assert first is not None
    async with b.transaction():
        assert await b.fetchval("SELECT pg_backend_pid()") == first["pid"]
        second = await a.fetchrow(_QUERY, 2)
        assert second is not None
    return [first["pid"], second["pid"], first["doubled"], second["doubled"]]


async def test_statements_prepared_on_one_server_connection_are_not_looked_for_on_another(
    settings: Settings, database_url: str, narrow_bouncer: EmbeddedPgBouncer
) -> None:
    url = narrow_bouncer.url(_database(database_url))
    if not narrow_bouncer.supports_prepared_statements:
        # The hazard is real: asyncpg's default cache prepares a named statement on the first
        # server connection and binds it on the second.
        a = await asyncpg.connect(url)
        b = await asyncpg.connect(url)
        try:
            with pytest.raises(asyncpg.InvalidSQLStatementNameError):
                await _moved_to_another_server(a, b)
        finally:
            await a.close()
            await b.close()

    # The application's pools, as the suite configures them, ride it out.
    database = msgspec.structs.replace(
        settings.database, url=Secret(url), pool_min_size=1, pool_max_size=1
    )
    pool_a = await create_pool(database)
    pool_b = await create_pool(database)
    try:
        async with pool_a.acquire() as a, pool_b.acquire() as b:
            first_pid, second_pid, *doubled = await _moved_to_another_server(a, b)
        assert first_pid != second_pid
        assert doubled == [2, 4]
    finally:
        await pool_a.close()
        await pool_b.close()


async def _session_settings(url: str, server_connections: int) -> set[tuple[str, str]]:
    """What SET without LOCAL left on each of PgBouncer's server connections to ``url``'s
    database: as many clients as there are server connections, each holding one in a
    transaction of its own, read ``pg_settings`` where the value came from the session."""
    clients = [
        await asyncpg.connect(url, statement_cache_size=0) for _ in range(server_connections)
    ]
    try:
        held = [c.transaction() for c in clients]
        found: set[tuple[str, str]] = set()
        pids = set()
        for client, transaction in zip(clients, held, strict=True):
            await transaction.start()
            pids.add(await client.fetchval("SELECT pg_backend_pid()"))
            rows = await client.fetch(
                "SELECT name, setting FROM pg_settings WHERE source = 'session'"
            )
            found |= {(r["name"], r["setting"]) for r in rows}
        assert len(pids) == server_connections
        for transaction in held:
            await transaction.rollback()
        return found
    finally:
        for client in clients:
            await client.close()


# Set by PgBouncer itself on the server connection it links a client to (the client's startup
# parameters), and by asyncpg's type introspection (JIT off for its query, then back on).
_EXPECTED = {"application_name", "client_encoding", "DateStyle", "TimeZone", "jit"}


async def test_requests_leave_no_session_state_for_the_next_client(
    settings: Settings, outside: Outside, narrow_bouncer: EmbeddedPgBouncer, database_url: str
) -> None:
    """Two server connections for the test's database, shared by the API's pool and whoever
    comes next: nothing the requests did (sign-in, profile, audit) stays on them."""
    url = narrow_bouncer.url(_database(database_url))
    narrow = msgspec.structs.replace(
        settings, database=msgspec.structs.replace(settings.database, url=Secret(url))
    )
    async with serve_in_process(create_app(narrow, configure_logs=False)) as client:
        signed_in = await sso(client, outside, user("zhangsan"))
        assert signed_in.status_code == 200, signed_in.text
        me = await client.get("/api/v1/me", headers=bearer(signed_in.json()["accessToken"]))
        assert me.status_code == 200, me.text
    left = await _session_settings(url, server_connections=narrow_bouncer.pool_size)
    assert {name for name, _ in left} <= _EXPECTED, left

    # What a client that does SET leaves: the next one, on the same server connection, has it.
    polluter = await asyncpg.connect(url, statement_cache_size=0)
    try:
        await polluter.execute("SET work_mem = '1234kB'")
    finally:
        await polluter.close()
    left = await _session_settings(url, server_connections=narrow_bouncer.pool_size)
    assert ("work_mem", "1234") in left
