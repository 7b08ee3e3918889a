"""Job functions. Each is safe to run twice and concurrently (DESIGN.md, Processes)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from arq import ArqRedis

from contactcenter import board, constants, live, logs, telemetry
from contactcenter.actions import contacts, routing, shifts
from contactcenter.store import db
from contactcenter.store import routing as store
from contactcenter.store import sessions as session_store
from workers import enrich
from workers import media as media_jobs
from workers import outbound as outbound_jobs
from workers import sla as sla_jobs

log = logs.get_logger(__name__)


async def route_queue(ctx: dict[str, Any], queue_id: str) -> int:
    """Offer a queue's waiting tickets to agents who can take them now; the offers made.

    Runs passes while they make progress and lose races to other routers (fresh snapshot
    each time), at most ROUTE_PASSES.
    """
    redis: ArqRedis = ctx["redis"]
    await redis.delete(constants.ROUTE_PENDING_KEY.format(queue_id=queue_id))
    made = 0
    counts = telemetry.Batch()
    for _ in range(constants.ROUTE_PASSES):
        started = time.perf_counter()
        async with db.connection(ctx["pool"]) as conn:
            result = await routing.do_route_queue(conn, UUID(queue_id), datetime.now(UTC))
            counts.observe("cc_route_pass_seconds", [time.perf_counter() - started])
            if result.created:
                waits = await store.offer_waits(conn, [o.offer_id for o in result.created])
                counts.observe("cc_offer_wait_seconds", waits)
        await announce_offers(redis, result.created)
        made += len(result.created)
        lost = result.planned > len(result.created)
        more = result.more and bool(result.created)
        if result.after_hours:
            log.info("route.after_hours_reply", queue_id=queue_id, tickets=len(result.after_hours))
        if not (lost or more):
            break
    log.info("route.pass", queue_id=queue_id, offers=made)
    await counts.flush(redis)
    return made


async def announce_offers(redis: ArqRedis, created: list[store.Created]) -> None:
    """After commit: expiry jobs (one per deadline bucket), and the live events."""
    buckets = {
        int(o.expires_at.timestamp() / constants.EXPIRY_BUCKET_S): o.expires_at for o in created
    }
    for at in buckets.values():
        await live.schedule_expiry(redis, at)
    await live.publish_quietly(redis, [
        {"type": "offer.created", "brand_id": str(o.brand_id), "ticket_id": o.ticket_id,
         "offer_id": o.offer_id, "agent_id": str(o.agent_id), "attempt": o.attempt,
         "expires_at": o.expires_at.isoformat()}
        for o in created
    ])  # fmt: skip


async def expire_due(ctx: dict[str, Any]) -> int:
    """At a deadline: expire every offer that is due (their tickets are routed again)."""
    return await _expire_overdue(ctx["pool"], ctx["redis"])


async def _expire_overdue(pool: Any, redis: ArqRedis) -> int:
    expired = 0
    async with db.connection(pool) as conn:
        for offer_id in await store.overdue_offer_ids(conn, 1000):
            released = await routing.do_release(conn, offer_id, None, "expired")
            expired += released.result == "expired"
            await after_release(redis, released, conn)
    return expired


async def after_release(redis: ArqRedis, released: store.Released, conn: Any = None) -> None:
    """Publish a released offer and ask for its queue to be routed again. An expiry that set
    its agent away also withdraws the agent's other pending offers (they would all time out)."""
    if released.result not in ("declined", "expired", "cancelled") or released.queue_id is None:
        return
    if released.agent_away and released.agent_id is not None and conn is not None:
        for offer_id in await store.pending_offer_ids(conn, released.agent_id):
            await after_release(redis, await routing.do_release(conn, offer_id, None, "cancelled"))
    event = {"type": f"offer.{released.result}", "brand_id": str(released.brand_id),
             "ticket_id": released.ticket_id, "escalated": released.escalated,
             "agent_id": str(released.agent_id) if released.agent_id else None}  # fmt: skip
    await live.publish_quietly(redis, [event])
    if released.agent_away and released.agent_id is not None:  # their dashboard shows it
        await live.publish_to(redis, constants.AGENT_EVENTS_CHANNEL, [{
            "type": "presence.changed", "user_id": str(released.agent_id), "to": "away",
            "reason": "offer_expired"}])  # fmt: skip
    if not released.escalated:
        await live.request_routing(redis, released.queue_id)


async def sweep(ctx: dict[str, Any]) -> dict[str, int]:
    """Every few seconds: overdue offers, lost heartbeats, shift ends, routing, shift horizon.

    The safety net under every trigger: a lost trigger delays a ticket by seconds, not forever.
    """
    redis: ArqRedis = ctx["redis"]
    now = datetime.now(UTC)
    counts = {"expired": await _expire_overdue(ctx["pool"], redis)}
    counts |= {"offline": 0, "requeued": 0, "queues": 0, "rolled": 0}
    async with db.connection(ctx["pool"]) as conn:
        counts["offline"] = await _lost_heartbeats(conn, redis)
        for ticket_id, queue_id in await store.shift_ended_assignments(conn):
            await routing.do_requeue(conn, ticket_id, queue_id, None, "shift_ended")
            counts["requeued"] += 1
        queues = await store.queues_with_waiting(conn)
        counts["rolled"] = await shifts.do_roll_shifts(conn, now)
        await board.refresh(conn, now)
        counts["contacts_merged"] = await contacts.do_link_verified(conn)
        await session_store.purge_expired(conn)
    for queue_id in queues:  # a request already pending covers it (its key expires if orphaned)
        await live.request_routing(redis, queue_id)
    counts["queues"] = len(queues)
    counts |= await sla_jobs.sweep_sla(ctx["pool"], redis)
    if "http" in ctx:
        counts |= await outbound_jobs.sweep_outbound(ctx)
        counts |= {f"media_{k}": v for k, v in (await media_jobs.fetch_media(ctx)).items()}
        counts["linkedin_texts"] = await enrich.linkedin_texts(ctx)
    if any(v for k, v in counts.items() if k != "queues"):
        log.info("sweep", **counts)
    return counts


async def _lost_heartbeats(conn: Any, redis: ArqRedis) -> int:
    present = await store.agents_present(conn)
    if not present:
        return 0
    keys = [constants.HEARTBEAT_KEY.format(user_id=u) for u in present]
    beats = await redis.mget(keys)
    lost = [user for user, beat in zip(present, beats, strict=True) if beat is None]
    for user in lost:
        _, cancelled = await routing.do_set_presence(conn, user, "offline", "heartbeat_lost")
        for released in cancelled:
            await after_release(redis, released)
    if lost:
        await live.publish_to(redis, constants.AGENT_EVENTS_CHANNEL, [
            {"type": "presence.changed", "user_id": str(u), "to": "offline",
             "reason": "heartbeat_lost"} for u in lost])  # fmt: skip
    return len(lost)
