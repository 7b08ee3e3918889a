"""The web application: `create_app(settings)`; resources live in `cleanup_ctx`."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

from aiohttp import web
from arq import create_pool
from arq.connections import RedisSettings

from contactcenter import constants, keys, live, logs
from contactcenter.actions.group_commit import GroupCommitter
from contactcenter.api.accounts_cache import AccountCache
from contactcenter.api.middleware import middleware
from contactcenter.api.routes import setup_routes
from contactcenter.settings import Settings, require
from contactcenter.store import db
from contactcenter.store.queries import q

log = logs.get_logger(__name__)
# What the views (an agent's work, a queue, a ticket, a contact) run first: parsed once on each
# connection opened at start, so the first requests do not wait for the backend to read the
# tables' catalog entries (bench/dashboard.py, first burst).
WARM = tuple(q(name) for name in (
    "tickets.list_tickets", "tickets.get_ticket", "messages.list_messages", "media.for_messages",
    "contacts.get_contact", "contacts.identities", "contacts.tickets", "contacts.timeline",
    "routing.offers_of", "queues.get_queue",
))  # fmt: skip


def redis_settings(url: str) -> RedisSettings:
    settings = RedisSettings.from_dsn(url)
    settings.conn_timeout = 2
    settings.conn_retries = 2
    return settings


async def _postgres(app: web.Application) -> AsyncIterator[None]:
    settings = app[keys.SETTINGS]
    pool = await db.create_pool(
        require(settings.database_url, "CC_DATABASE_URL"), settings.db_pool_max
    )
    app[keys.POOL] = pool
    app[keys.ACCOUNTS] = AccountCache(pool, settings.account_cache_s)
    if settings.db_pool_warm:
        started = time.perf_counter()
        opened = await db.warm(pool, min(settings.db_pool_warm, settings.db_pool_max), WARM)
        log.info("db.warmed", connections=opened,
                 ms=round((time.perf_counter() - started) * 1000, 1))  # fmt: skip
    yield
    await pool.close()


async def _redis(app: web.Application) -> AsyncIterator[None]:
    url = require(app[keys.SETTINGS].redis_url, "CC_REDIS_URL")
    redis = await create_pool(redis_settings(url), default_queue_name=constants.ARQ_QUEUE)
    app[keys.REDIS] = redis
    yield
    await redis.aclose()


async def _committer(app: web.Application) -> AsyncIterator[None]:
    settings = app[keys.SETTINGS]
    announcer = live.Announcer(app[keys.REDIS])
    committer = GroupCommitter(
        app[keys.POOL],
        reopen_window_s=settings.reopen_window_s,
        max_batch=settings.ingest_max_batch,
        flushers=settings.ingest_flushers,
        after_commit=announcer.announce,
    )
    app[keys.COMMITTER] = committer
    yield
    await committer.close()
    await announcer.close()


async def _smtp(app: web.Application) -> AsyncIterator[None]:
    """The built-in SMTP receiver, when CC_SMTP_PORT is set (contactcenter/email_server.py)."""
    settings = app[keys.SETTINGS]
    if settings.smtp_port is None:
        yield
        return
    from contactcenter import email_server

    server = await email_server.start(settings.smtp_host, settings.smtp_port, app[keys.POOL],
                                      app[keys.ACCOUNTS], app[keys.COMMITTER])  # fmt: skip
    yield
    server.close()
    await server.wait_closed()


def create_app(settings: Settings) -> web.Application:
    app = web.Application(middlewares=[middleware], client_max_size=settings.max_body_bytes)
    app[keys.SETTINGS] = settings
    # Cleanup runs in reverse: the committer drains before Redis and the pool close.
    app.cleanup_ctx.extend([_postgres, _redis, _committer, _smtp])
    setup_routes(app)
    return app
