"""SLA jobs: drain the recompute list, fire due warnings and breaches (safe to run twice)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from arq import ArqRedis

from contactcenter import constants, live, logs, telemetry
from contactcenter.actions import sla
from contactcenter.store import db
from contactcenter.store import sla as store

log = logs.get_logger(__name__)

# Batches one job takes before it yields to other jobs (the next job continues).
MAX_BATCHES = 40


async def sla_drain(ctx: dict[str, Any]) -> int:
    """Recompute the clocks of the tickets ingest listed in sla_work; the tickets done."""
    redis: ArqRedis = ctx["redis"]
    await redis.delete(constants.SLA_PENDING_KEY)
    return await drain(ctx["pool"], redis)


async def drain(pool: Any, redis: ArqRedis) -> int:
    done = 0
    for _ in range(MAX_BATCHES):
        async with db.connection(pool) as conn:
            result = await sla.do_drain(conn)
        await _after(redis, result)
        done += result.tickets
        if result.tickets == 0:
            break
    else:
        await live.request_sla(redis)  # more left: continue in a fresh job
    return done


async def sla_fire(ctx: dict[str, Any]) -> int:
    """At a due instant: record every warning and breach due now; the clocks handled."""
    return await fire(ctx["pool"], ctx["redis"])


async def fire(pool: Any, redis: ArqRedis) -> int:
    fired = 0
    for _ in range(MAX_BATCHES):
        async with db.connection(pool) as conn:
            result = await sla.do_fire_due(conn, datetime.now(UTC))
        await _after(redis, result)
        fired += result.tickets
        if result.tickets < sla.FIRE_BATCH:
            break
    if fired:
        log.info("sla.fired", clocks=fired)
    return fired


async def _after(redis: ArqRedis, result: sla.SlaResult) -> None:
    if result.events:
        await live.publish_quietly(redis, result.events)
        counts = telemetry.Batch()
        for event in result.events:
            if event["type"] not in ("sla.warning", "sla.breached"):
                continue
            counts.count("cc_sla_fired_total", target=event["target"], stage=str(event["stage"]))
        await counts.flush(redis)
    if result.fire_at:
        await live.schedule_sla_quietly(redis, result.fire_at)


async def sweep_sla(pool: Any, redis: ArqRedis) -> dict[str, int]:
    """The safety net: work left behind by a lost request, timers lost with Redis."""
    counts = {"sla_fired": await fire(pool, redis), "sla_synced": 0}
    async with db.connection(pool) as conn:
        left = await store.work_left(conn)
        upcoming = await store.next_fire(conn)
    if left:
        counts["sla_synced"] = await drain(pool, redis)
    if upcoming is not None:  # re-arm the earliest timer (a no-op when it is already queued)
        await live.schedule_sla_quietly(redis, [upcoming])
    return counts
