"""Outbound jobs: deliver one message; the sweep's pass over everything due (safe to rerun)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from arq import ArqRedis

from contactcenter import live, logs
from contactcenter.actions import outbound
from contactcenter.media.store import make_store
from contactcenter.outbound.senders import Endpoints
from contactcenter.settings import Settings
from contactcenter.store import db

log = logs.get_logger(__name__)

SWEEP_BATCH = 200
PARALLEL = 10  # sends in flight per sweep pass
ABANDONED_AFTER_S = 300  # far beyond any send timeout


async def deliver(ctx: dict[str, Any], message_id: int) -> str:
    """Send one outbound message; on a retryable failure, a deferred job for the next attempt."""
    settings: Settings = ctx["settings"]
    result = await outbound.do_deliver(
        ctx["pool"],
        ctx["http"],
        Endpoints(
            graph=settings.graph_api_url,
            telegram=settings.telegram_api_url,
            twilio=settings.twilio_api_url,
            line=settings.line_api_url,
            x=settings.x_api_url,
            youtube=settings.youtube_api_url,
            linkedin=settings.linkedin_api_url,
            google_business=settings.google_business_url,
            flickr=settings.flickr_api_url,
            viber=settings.viber_api_url,
            slack=settings.slack_api_url,
            public_url=settings.public_url,
        ),
        message_id,
        datetime.now(UTC),
        timeout_s=settings.send_timeout_s,
        base_backoff_s=settings.send_backoff_s,
        redis=ctx["redis"],
        store=make_store(settings),
    )
    redis: ArqRedis = ctx["redis"]
    if result.outcome == "retry" and result.next_attempt_at is not None:
        await live.schedule_delivery(redis, message_id, result.attempt + 1, result.next_attempt_at)
    if result.outcome != "skipped":
        log.info(
            "outbound.delivery",
            message_id=message_id,
            ticket_id=result.ticket_id,
            outcome=result.outcome,
            attempt=result.attempt,
        )
        await live.publish_quietly(
            redis,
            [
                {
                    "type": "message.delivery",
                    "brand_id": result.brand_id,
                    "ticket_id": result.ticket_id,
                    "message_id": message_id,
                    "status": result.status,
                    "error": result.error,
                }
            ],
        )
    return result.outcome


async def sweep_outbound(ctx: dict[str, Any]) -> dict[str, int]:
    """Everything due whose job was lost, and messages a dead worker left half-sent."""
    async with db.connection(ctx["pool"]) as conn:
        ids = await outbound.due_ids(conn, SWEEP_BATCH)
        abandoned = await outbound.fail_abandoned(conn, ABANDONED_AFTER_S)
    gate = asyncio.Semaphore(PARALLEL)

    async def one(message_id: int) -> str:
        async with gate:
            return await deliver(ctx, message_id)

    outcomes = await asyncio.gather(*(one(i) for i in ids))
    for row in abandoned:
        log.warning("outbound.abandoned", message_id=row["id"], ticket_id=row["ticket_id"])
    return {"sent": outcomes.count("sent"), "abandoned": len(abandoned)}
