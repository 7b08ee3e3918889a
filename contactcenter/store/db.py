"""The PostgreSQL pool and the error mapping every request relies on."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import asyncpg
import orjson

from contactcenter import constants
from contactcenter.errors import ApiError, ErrorCode

# Errors that mean "the database is not there right now" rather than "this statement is wrong".
UNAVAILABLE: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.InterfaceError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.TooManyConnectionsError,
)


def _encode_json(value: object) -> str:
    return orjson.dumps(value).decode()


async def _init_connection(conn: asyncpg.Connection) -> None:
    for typ in ("json", "jsonb"):
        await conn.set_type_codec(
            typ, encoder=_encode_json, decoder=orjson.loads, schema="pg_catalog"
        )


async def connect(dsn: str) -> asyncpg.Connection:
    """A single connection with the same JSON codecs as the pool (for CLI commands)."""
    conn = await asyncpg.connect(dsn, timeout=constants.DB_CONNECT_TIMEOUT_S)
    await _init_connection(conn)
    return conn


async def create_pool(dsn: str, max_size: int = 10) -> asyncpg.Pool:
    """A pool that connects lazily: a process starts (and answers 503) while PostgreSQL is down."""
    pool = asyncpg.create_pool(
        dsn,
        min_size=0,
        max_size=max_size,
        timeout=constants.DB_CONNECT_TIMEOUT_S,
        init=_init_connection,
        command_timeout=30,
        max_inactive_connection_lifetime=300,
    )
    # With min_size=0 this opens no connection; awaiting it only sets the pool up.
    return await pool


async def warm(pool: asyncpg.Pool, connections: int, statements: tuple[str, ...] = ()) -> int:
    """Open `connections` pooled connections at once, each parsing `statements` once: what the
    first requests after a start would otherwise wait for (a new connection's setup, and its
    backend reading the tables' catalog entries; the parsed statements themselves are not
    kept). Returns how many opened; never raises. Each statement may wait DB_ACQUIRE_TIMEOUT_S
    (a migration holding a table's lock must not hold up the start)."""

    async def one() -> asyncpg.pool.PoolConnectionProxy:
        conn = await pool.acquire(timeout=constants.DB_ACQUIRE_TIMEOUT_S)
        try:
            for sql in statements:
                await conn.prepare(sql, timeout=constants.DB_ACQUIRE_TIMEOUT_S)
        except BaseException:
            await pool.release(conn)
            raise
        return conn

    got = await asyncio.gather(*(one() for _ in range(connections)), return_exceptions=True)
    opened = [c for c in got if not isinstance(c, BaseException)]
    for conn in opened:
        await pool.release(conn)
    return len(opened)


def unavailable() -> ApiError:
    return ApiError(
        ErrorCode.DATABASE_UNAVAILABLE,
        "The database is unreachable right now; nothing was stored. Retry shortly.",
    )


@contextlib.asynccontextmanager
async def connection(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    """Acquire a connection, turning an unreachable database into a 503 `ApiError`."""
    try:
        conn = await pool.acquire(timeout=constants.DB_ACQUIRE_TIMEOUT_S)
    except UNAVAILABLE as exc:
        raise unavailable() from exc
    try:
        yield conn
    except UNAVAILABLE as exc:
        raise unavailable() from exc
    finally:
        await pool.release(conn)
