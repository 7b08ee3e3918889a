"""When PostgreSQL or Redis goes away: 503 (the platform retries) or ingest carries on."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit, urlunsplit

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from contactcenter.app import create_app
from contactcenter.settings import Settings
from tests.helpers import counts, fixture, post_whatsapp, wa_hook, wa_text
from tests.tcpproxy import Proxy
from tests.world import World


def _proxy_for_postgres(url: str) -> tuple[Proxy, str]:
    parts = urlsplit(url)
    socket_dir = parse_qs(parts.query).get("host", [None])[0]
    if socket_dir:
        proxy = Proxy(None, None, f"{unquote(socket_dir)}/.s.PGSQL.{parts.port or 5432}")
    else:
        proxy = Proxy(parts.hostname, parts.port or 5432)
    return proxy, f"postgresql://{parts.username or 'postgres'}@127.0.0.1:{{port}}{parts.path}"


@pytest.fixture
async def pg_proxy(database_url: str) -> AsyncIterator[tuple[Proxy, str]]:
    proxy, template = _proxy_for_postgres(database_url)
    await proxy.start()
    yield proxy, template.format(port=proxy.port)
    await proxy.cut()


@pytest.fixture
async def redis_proxy(redis_url: str) -> AsyncIterator[tuple[Proxy, str]]:
    parts = urlsplit(redis_url)
    proxy = Proxy(parts.hostname, parts.port or 6379)
    await proxy.start()
    yield proxy, urlunsplit(parts._replace(netloc=f"127.0.0.1:{proxy.port}"))
    await proxy.cut()


async def test_postgres_down_is_503_and_recovers(
    settings: Settings, world: World, pool: asyncpg.Pool, pg_proxy: tuple[Proxy, str]
) -> None:
    """Webhooks and the API answer a JSON 503 while PostgreSQL is unreachable, and work again after."""
    proxy, url = pg_proxy
    app = create_app(settings.model_copy(update={"database_url": url, "account_cache_s": 60.0}))
    async with TestClient(TestServer(app)) as client:
        assert (await post_whatsapp(client, world, fixture("whatsapp/text.json"))).status == 200
        await proxy.cut()
        body = wa_hook(wa_text("wamid.while-down", "4915166666666", "Hallo?", 1700000000))
        down = await post_whatsapp(client, world, body)  # account is cached: fails at the commit
        assert down.status == 503
        assert (await down.json())["error"]["code"] == "database_unavailable"
        api = await client.get("/api/v1/tickets", headers=world.auth("admin"))
        assert api.status == 503
        ready = await client.get("/readyz")
        assert ready.status == 503 and (await ready.json())["checks"]["redis"] == "ok"
        assert (await counts(pool))["messages"] == 1
        await proxy.restore()
        retried = await post_whatsapp(client, world, body)  # the platform's retry
        assert retried.status == 200 and (await retried.json())["stored"] == 1
    assert (await counts(pool))["messages"] == 2


async def test_redis_down_loses_no_message(
    settings: Settings, world: World, pool: asyncpg.Pool, redis_proxy: tuple[Proxy, str]
) -> None:
    """With Redis gone, webhooks are still stored and acknowledged; only live announcements are lost."""
    proxy, url = redis_proxy
    app = create_app(settings.model_copy(update={"redis_url": url}))
    async with TestClient(TestServer(app)) as client:
        await proxy.cut()
        resp = await post_whatsapp(client, world, fixture("whatsapp/text.json"))
        assert resp.status == 200 and (await resp.json())["stored"] == 1
        ready: Any = await (await client.get("/readyz")).json()
        assert ready["checks"]["postgres"] == "ok" and ready["checks"]["redis"].startswith(
            "unavailable"
        )
    assert (await counts(pool))["messages"] == 1


async def test_the_pool_is_warm_at_start_and_a_down_database_does_not_stop_it(
    settings: Settings, world: World, pool: asyncpg.Pool, pg_proxy: tuple[Proxy, str]
) -> None:
    """`serve` opens its connections (with the views' statements prepared) before it answers;
    with PostgreSQL unreachable it starts all the same, answers 503, and recovers."""
    from contactcenter import keys

    proxy, url = pg_proxy
    warm = settings.model_copy(update={"database_url": url, "db_pool_warm": 4})
    async with TestClient(TestServer(create_app(warm))) as client:
        app_pool = client.app[keys.POOL]
        assert (app_pool.get_size(), app_pool.get_idle_size()) == (4, 4)  # open, none held
        assert (await client.get("/api/v1/tickets", headers=world.auth("agent"))).status == 200

    await proxy.cut()
    async with TestClient(TestServer(create_app(warm))) as client:
        assert client.app[keys.POOL].get_size() == 0
        assert (await client.get("/api/v1/tickets", headers=world.auth("agent"))).status == 503
        await proxy.restore()
        assert (await client.get("/api/v1/tickets", headers=world.auth("agent"))).status == 200


async def test_warming_releases_every_connection_even_when_a_statement_fails(
    pool: asyncpg.Pool,
) -> None:
    from contactcenter.store import db

    assert await db.warm(pool, 3, ("SELECT 1", "SELECT * FROM no_such_table")) == 0
    assert pool.get_idle_size() == pool.get_size() >= 3  # none kept out of the pool
    assert await db.warm(pool, 3, ("SELECT 1",)) == 3


async def test_a_table_locked_by_a_migration_does_not_hold_up_the_start(
    pool: asyncpg.Pool, database_url: str
) -> None:
    """A rolling deploy: `migrate` holds a table's lock while a new `serve` starts. Warming
    gives up on that statement after DB_ACQUIRE_TIMEOUT_S instead of waiting for the lock."""
    import time

    from contactcenter import constants
    from contactcenter.store import db

    migrating = await asyncpg.connect(database_url)
    try:
        transaction = migrating.transaction()
        await transaction.start()
        await migrating.execute("LOCK TABLE tickets IN ACCESS EXCLUSIVE MODE")
        started = time.monotonic()
        assert await db.warm(pool, 2, ("SELECT id FROM tickets",)) == 0
        assert time.monotonic() - started < constants.DB_ACQUIRE_TIMEOUT_S + 3
        await transaction.rollback()
    finally:
        await migrating.close()
    assert pool.get_idle_size() == pool.get_size()
    assert await db.warm(pool, 2, ("SELECT id FROM tickets",)) == 2
