"""Poller jobs (arq cron): YouTube comments every minute (one quota unit when nothing is new)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from arq import ArqRedis

from contactcenter import live, logs
from contactcenter.actions import pollers
from contactcenter.settings import Settings
from contactcenter.store import db

log = logs.get_logger(__name__)


async def poll_youtube(ctx: dict[str, Any]) -> int:
    settings: Settings = ctx["settings"]
    async with db.connection(ctx["pool"]) as conn:
        result = await pollers.do_poll_youtube(
            conn, ctx["http"], settings.youtube_api_url, settings.reopen_window_s, datetime.now(UTC)
        )
    return await _announce(ctx, "youtube", result)


async def poll_flickr(ctx: dict[str, Any]) -> int:
    settings: Settings = ctx["settings"]
    async with db.connection(ctx["pool"]) as conn:
        result = await pollers.do_poll_flickr(
            conn, ctx["http"], settings.flickr_api_url, settings.reopen_window_s, datetime.now(UTC)
        )
    return await _announce(ctx, "flickr", result)


async def poll_reviews(ctx: dict[str, Any]) -> int:
    settings: Settings = ctx["settings"]
    async with db.connection(ctx["pool"]) as conn:
        result = await pollers.do_poll_reviews(
            conn,
            ctx["http"],
            settings.google_business_url,
            settings.reopen_window_s,
            datetime.now(UTC),
        )
    return await _announce(ctx, "google_reviews", result)


async def _announce(ctx: dict[str, Any], channel: str, result: pollers.PollResult) -> int:
    redis: ArqRedis = ctx["redis"]
    for after in result.after:  # what a webhook's commit would announce
        await live.publish_quietly(redis, after.events)
        for queue_id in after.route_queues:
            await live.request_routing(redis, queue_id)
        if after.sla:
            await live.request_sla(redis)
    if result.stored or result.errors:
        log.info(
            f"poll.{channel}", accounts=result.accounts, stored=result.stored, errors=result.errors
        )
    return result.stored
