"""asyncpg pool and the one-transaction-per-request dependency."""

from __future__ import annotations

import asyncio
import functools
import types
from collections.abc import AsyncGenerator, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

import asyncpg
import msgspec
from litestar.di import NamedDependency

from core.errors import DomainError
from core.settings import DatabaseSettings

if TYPE_CHECKING:
    from asyncpg.pool import PoolConnectionProxy

    # What repositories receive: a plain connection or one borrowed from the pool.
    Connection: TypeAlias = asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]
    Pool: TypeAlias = asyncpg.Pool[asyncpg.Record]
else:
    Connection = asyncpg.Connection
    Pool = asyncpg.Pool

Row = TypeVar("Row", bound=msgspec.Struct)


def one(row_type: type[Row], record: asyncpg.Record | None) -> Row | None:
    """A row as the repository's typed Struct (its fields named as the query's columns)."""
    return None if record is None else row_type(**record)


def many(row_type: type[Row], records: Iterable[asyncpg.Record]) -> list[Row]:
    return [row_type(**record) for record in records]


def many_by_position(row_type: type[Row], records: Sequence[asyncpg.Record]) -> list[Row]:
    """``many`` for a hot list whose query returns the row type's fields in their order
    (``columns(row_type)``): msgspec builds and type-checks all the rows in one call from their
    values, instead of one keyword call per row, which parses each name (20 rows of 12
    columns: 64 µs → 15 µs). The rows are of a subclass of ``row_type`` that only differs in
    being read from an array. A query whose columns are not in that order gets ``many``."""
    if not records:
        return []
    if tuple(records[0].keys()) != row_type.__struct_fields__:
        return many(row_type, records)
    by_position = _read_by_position(row_type)
    rows: list[Row] = msgspec.convert(
        [tuple(record) for record in records],
        list[by_position],  # type: ignore[valid-type]
    )
    return rows


@functools.cache
def _read_by_position(row_type: type[Row]) -> type[Row]:
    return types.new_class(row_type.__name__, (row_type,), {"array_like": True})


def columns(row_type: type[msgspec.Struct], table: str = "") -> str:
    """A SELECT list naming the row type's fields (qualified by ``table``'s alias if given):
    the columns a query returns for ``one``/``many`` written once, by the Struct."""
    prefix = f"{table}." if table else ""
    return ", ".join(prefix + field.name for field in msgspec.structs.fields(row_type))


_json_encode = msgspec.json.encode
_json_decode = msgspec.json.decode


def _encode_json(value: Any) -> str:
    # Text is taken as JSON already encoded: libraries sharing our connections (pgqueuer's
    # enqueue) pass serialized JSON. Our own code stores objects and lists, never bare strings.
    if isinstance(value, str):
        return value
    return _json_encode(value).decode()


async def _init_connection(conn: asyncpg.Connection) -> None:
    # jsonb/json travel as msgspec-encoded text: faster than the stdlib and handles Structs.
    for type_name in ("jsonb", "json"):
        await conn.set_type_codec(
            type_name, encoder=_encode_json, decoder=_json_decode, schema="pg_catalog"
        )


class _PooledConnection(asyncpg.Connection):
    """No reset query when a connection returns to the pool.

    asyncpg's default (UNLISTEN, RESET ALL, advisory unlock, CLOSE ALL) costs a round trip per
    request. Our pooled connections keep no session state: transactions end with the request,
    advisory locks are transaction-scoped, LISTEN and SET are only used on dedicated
    connections (the job worker, migrations). Behind PgBouncer in transaction mode the reset
    would also run on whichever server connection came next, undoing another client's state."""

    def get_reset_query(self) -> str:
        return ""


class _FairPool(asyncpg.Pool):
    """Connections handed out in the order they were asked for.

    asyncpg's pool gives a returned connection to whichever task asks next: under load a
    request already waiting can be overtaken again and again, so a few wait far longer than
    the rest (WeChat Pay gives a notification 5 s). A FIFO semaphore sized to the pool lets
    only as many tasks as there are connections reach it, the others queue in arrival order."""

    def __init__(
        self, *args: Any, max_size: int, acquire_timeout: float | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, max_size=max_size, **kwargs)
        self._gate = asyncio.Semaphore(max_size)
        self._acquire_timeout = acquire_timeout

    def acquire(self, *, timeout: float | None = None) -> Any:
        # Every acquire waits a bounded time (pool exhausted, database gone): the request is
        # answered 503 promptly instead of hanging.
        return super().acquire(timeout=self._acquire_timeout if timeout is None else timeout)

    async def _acquire(self, timeout: float | None) -> Any:  # noqa: ASYNC109 - asyncpg's
        gate = self._gate
        if gate.locked():
            async with asyncio.timeout(timeout):
                await gate.acquire()
        else:
            await gate.acquire()  # a permit is free: taken at once, no timer to arm
        try:
            # Past the gate a connection waits in asyncpg's queue: the gate has a permit per
            # connection and takes one back only once its connection is back. asyncpg's own
            # acquire timeout would arm and cancel a second timer for nothing (a few % of a
            # short read's CPU). Opening a connection anew is bounded by the connect timeout,
            # the reset on release by the command timeout.
            return await super()._acquire(None)  # type: ignore[misc]
        except BaseException:
            gate.release()
            raise

    async def release(self, connection: Any, *, timeout: float | None = None) -> None:  # noqa: ASYNC109
        held = getattr(connection, "_con", None) is not None  # releasing twice changes nothing
        try:
            await super().release(connection, timeout=timeout)
        finally:
            if held:
                self._gate.release()


async def create_pool(
    settings: DatabaseSettings, *, application_name: str = "handheld", replica: bool = False
) -> Pool:
    """The pool of the primary, or (``replica``) of the replica: that one opens no connection
    before a read asks for one, so a replica that is down never stops a process starting."""
    pool = _FairPool(
        (settings.replica_url if replica else settings.url).reveal(),
        min_size=0 if replica else settings.pool_min_size,
        max_size=settings.replica_pool_max_size if replica else settings.pool_max_size,
        max_queries=50_000,
        max_inactive_connection_lifetime=300.0,
        init=_init_connection,
        loop=None,
        connection_class=_PooledConnection,
        record_class=asyncpg.Record,
        statement_cache_size=settings.statement_cache_size,
        command_timeout=settings.command_timeout,
        server_settings={"application_name": application_name},
        acquire_timeout=settings.acquire_timeout,
        timeout=settings.connect_timeout,
    )
    await pool
    return pool


async def connect(settings: DatabaseSettings) -> asyncpg.Connection[asyncpg.Record]:
    """A connection with a session of its own (migrations, the job worker's listener): to
    ``direct_url`` when set, PostgreSQL itself rather than PgBouncer in transaction mode, which
    would hand its LISTEN and session advisory locks to whichever client came next."""
    # Straight to PostgreSQL, asyncpg's prepared-statement cache (100: its default) is safe
    # whatever the pool's.
    cache = 100 if settings.direct_url else settings.statement_cache_size
    conn: asyncpg.Connection[asyncpg.Record] = await asyncpg.connect(
        dsn=settings.session_url().reveal(),
        statement_cache_size=cache,
        timeout=settings.connect_timeout,
    )
    await _init_connection(conn)
    return conn


async def provide_transaction(db_pool: NamedDependency[Pool]) -> AsyncGenerator[Connection, None]:
    """Litestar generator dependency: one connection and one transaction per request.

    Commits when the handler returns, rolls back when it raises. Litestar runs this cleanup
    before the response is sent, so a client never sees success for an uncommitted change.
    """
    async with db_pool.acquire() as conn:
        transaction = conn.transaction()
        await transaction.start()
        try:
            yield conn
        except DomainError as exc:
            if exc.keep_changes:
                await transaction.commit()
            else:
                await transaction.rollback()
            raise
        except BaseException:
            await transaction.rollback()
            raise
        else:
            await transaction.commit()


async def provide_read_connection(
    db_pool: NamedDependency[Pool],
) -> AsyncGenerator[Connection, None]:
    """Litestar generator dependency for read-only handlers: one pooled connection and no
    BEGIN/COMMIT around their reads (a single statement, or reads that need no snapshot)."""
    async with db_pool.acquire() as conn:
        yield conn


__all__ = [
    "Connection",
    "Pool",
    "columns",
    "connect",
    "create_pool",
    "many",
    "many_by_position",
    "one",
    "provide_read_connection",
    "provide_transaction",
]
