"""After-commit announcements: live events on Redis pub/sub and routing jobs on the arq queue.

Called only once the data is committed. Redis is not the source of truth: if it is down the
announcement is lost, and the routing sweep and the dashboards' reloads catch up from PostgreSQL.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import defaultdict
from collections.abc import Coroutine, Iterable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import orjson
from arq import ArqRedis

from contactcenter import constants, logs, telemetry
from contactcenter.actions.ingest import AfterCommit
from contactcenter.models import QueueId

log = logs.get_logger(__name__)


async def publish(redis: ArqRedis, events: list[dict[str, Any]]) -> None:
    """Publish events on their brand's channel: one message (a JSON array) per brand."""
    if not events:
        return
    by_brand: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in events:
        by_brand[event["brand_id"]].append(event)
    if len(by_brand) == 1:
        [(brand, batch)] = by_brand.items()
        await redis.publish(constants.EVENTS_CHANNEL.format(brand_id=brand), orjson.dumps(batch))
        return
    async with redis.pipeline(transaction=False) as pipe:
        for brand, batch in by_brand.items():
            pipe.publish(constants.EVENTS_CHANNEL.format(brand_id=brand), orjson.dumps(batch))
        await pipe.execute()


async def publish_to(redis: ArqRedis, channel: str, events: list[dict[str, Any]]) -> None:
    """Publish events that belong to no brand (presence) on `channel`; errors are logged."""
    try:
        await redis.publish(channel, orjson.dumps(events))
    except Exception:  # the change is committed; live views catch up on reload
        log.warning("live.publish_failed", events=len(events), exc_info=True)


async def publish_quietly(redis: ArqRedis, events: list[dict[str, Any]]) -> None:
    """Publish after commit from a request; Redis trouble is logged, never the caller's problem."""
    try:
        await publish(redis, events)
    except Exception:  # the change is committed; live views catch up on reload
        log.warning("live.publish_failed", events=len(events), exc_info=True)


async def request_routing(redis: ArqRedis, queue_id: UUID, *, force: bool = False) -> bool:
    """Ask for a routing pass over one queue; False when one is already queued (see constants).

    `force` enqueues even then (the sweep: it also repairs a pending key left by a crash).
    """
    job_id = constants.ROUTE_JOB_ID.format(queue_id=queue_id, generation=secrets.token_hex(6))
    pending = constants.ROUTE_PENDING_KEY.format(queue_id=queue_id)
    claimed = await redis.set(pending, job_id, nx=True, ex=constants.ROUTE_PENDING_TTL_S)
    if not claimed and not force:
        return False
    job = await redis.enqueue_job(
        "route_queue", str(queue_id), _job_id=job_id, _queue_name=constants.ARQ_QUEUE
    )
    return job is not None


async def schedule_expiry(redis: ArqRedis, at: datetime) -> None:
    """An expire_due job at `at`, shared by every offer due in the same EXPIRY_BUCKET_S.

    A routing pass creates its offers within milliseconds, with the same timeout: one job (one
    Redis round trip) expires them all, instead of one per offer. The sweep is the safety net.
    """
    bucket = int(at.timestamp() / constants.EXPIRY_BUCKET_S) + 1
    await redis.enqueue_job(
        "expire_due",
        _job_id=constants.EXPIRE_JOB_ID.format(bucket=bucket),
        _defer_until=datetime.fromtimestamp(bucket * constants.EXPIRY_BUCKET_S, tz=at.tzinfo),
        _queue_name=constants.ARQ_QUEUE,
    )


async def schedule_sla(redis: ArqRedis, instants: Iterable[datetime]) -> None:
    """An sla_fire job at each instant's bucket (one job per SLA_BUCKET_S, by job id).

    A bucket this process queued before and whose time has not come is skipped (no round
    trip); one whose time has passed is queued again, since its job may have run already.
    """
    buckets = {int(at.timestamp() / constants.SLA_BUCKET_S) + 1: at for at in instants}
    soon = (time.time() + constants.SLA_BUCKET_S) / constants.SLA_BUCKET_S
    for bucket, at in sorted(buckets.items()):
        if bucket > soon and bucket in SCHEDULED:
            continue
        await redis.enqueue_job(
            "sla_fire",
            _job_id=constants.SLA_FIRE_JOB_ID.format(bucket=bucket),
            _defer_until=datetime.fromtimestamp(bucket * constants.SLA_BUCKET_S, tz=at.tzinfo),
            _queue_name=constants.ARQ_QUEUE,
        )
        SCHEDULED[bucket] = True
        if len(SCHEDULED) > 10_000:
            SCHEDULED.pop(next(iter(SCHEDULED)))


# Buckets this process has queued (oldest first), so consecutive batches skip the round trip.
# It mirrors Redis: clear it if Redis is flushed.
SCHEDULED: dict[int, bool] = {}


async def schedule_sla_quietly(redis: ArqRedis, instants: Iterable[datetime]) -> None:
    try:
        await schedule_sla(redis, instants)
    except Exception:  # the sweep fires what is overdue within seconds
        log.warning("live.sla_schedule_failed", exc_info=True)


async def request_sla(redis: ArqRedis) -> bool:
    """Ask for the sla_work list to be drained; False when a drain is already queued."""
    job_id = constants.SLA_DRAIN_JOB_ID.format(generation=secrets.token_hex(6))
    if not await redis.set(
        constants.SLA_PENDING_KEY, job_id, nx=True, ex=constants.SLA_PENDING_TTL_S
    ):
        return False
    return (
        await redis.enqueue_job("sla_drain", _job_id=job_id, _queue_name=constants.ARQ_QUEUE)
        is not None
    )


async def schedule_delivery(
    redis: ArqRedis, message_id: int, attempt: int, at: datetime | None = None
) -> None:
    """A deliver job for one attempt of one message (job id by attempt: a rerun adds nothing)."""
    await redis.enqueue_job(
        "deliver", message_id, _job_id=constants.DELIVER_JOB_ID.format(
            message_id=message_id, attempt=attempt),
        _defer_until=at, _queue_name=constants.ARQ_QUEUE,
    )  # fmt: skip


async def push_webchat(
    redis: ArqRedis, account_id: UUID, visitor_id: str, message_id: int, text: str | None,
    files: list[dict[str, str]] | None = None,
) -> int:  # fmt: skip
    """An agent's reply to the visitor's open widgets; the number of widgets that got it."""
    payload = orjson.dumps({"id": message_id, "from": "agent", "text": text,
                            "files": files or [],
                            "sent_at": datetime.now(UTC).isoformat()})  # fmt: skip
    channel = constants.WEBCHAT_CHANNEL.format(account_id=account_id, visitor_id=visitor_id)
    listeners: int = await redis.publish(channel, payload)
    return listeners


SLA = "sla"  # the Announcer's key for SLA drain requests (queues are UUIDs)


class Announcer:
    """Publishes a process's after-commit events and asks for routing, batching both.

    Events: one publish is in flight at a time; events committed meanwhile go out together in
    the next one (no added delay when idle, few round trips under load). Routing: a burst of
    new tickets in one queue asks at once, then at most once per ROUTE_COALESCE_S, with a
    trailing request after the burst, so no trigger is dropped, only delayed by at most that.
    SLA recompute requests (after ingest) are coalesced the same way.
    """

    def __init__(self, redis: ArqRedis, interval_s: float = constants.ROUTE_COALESCE_S) -> None:
        self._redis = redis
        self._interval = interval_s
        self._last: dict[QueueId | str, float] = {}
        self._timers: dict[QueueId | str, asyncio.TimerHandle] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._events: list[dict[str, Any]] = []
        self._publishing = False
        self._counts = telemetry.Batch()

    def announce(self, after: AfterCommit) -> None:
        """Queue a commit's events and routing requests; never blocks, never raises on Redis."""
        for queue_id in after.route_queues:
            self._trigger(queue_id)
        if after.sla:
            self._trigger(SLA)
        for channel, n in after.stored.items():
            self._counts.count("cc_ingest_messages_total", n, channel=channel)
        for channel, n in after.duplicates.items():
            self._counts.count("cc_ingest_duplicates_total", n, channel=channel)
        self._events += after.events
        if not self._publishing:
            self._publishing = True
            self._spawn(self._drain())

    async def _drain(self) -> None:
        try:
            while self._events or self._counts.ints:
                events, self._events = self._events, []
                await publish_quietly(self._redis, events)
                await self._counts.flush(self._redis)
        finally:
            self._publishing = False

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        """Send every request still waiting out its interval, then wait for all of them."""
        for queue_id, timer in list(self._timers.items()):
            timer.cancel()
            self._fire(queue_id)
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def _trigger(self, queue_id: QueueId | str) -> None:
        if queue_id in self._timers:
            return  # a trailing request is already planned
        wait = self._last.get(queue_id, float("-inf")) + self._interval - time.monotonic()
        if wait <= 0:
            self._fire(queue_id)
        else:
            loop = asyncio.get_running_loop()
            self._timers[queue_id] = loop.call_later(wait, self._fire, queue_id)

    def _fire(self, queue_id: QueueId | str) -> None:
        self._timers.pop(queue_id, None)
        self._last[queue_id] = time.monotonic()
        self._spawn(self._request(queue_id))

    async def _request(self, queue_id: QueueId | str) -> None:
        try:
            if isinstance(queue_id, str):
                await request_sla(self._redis)
            else:
                await request_routing(self._redis, queue_id)
        except Exception:  # the routing sweep picks the queue up; never lose the ack
            log.warning("live.route_request_failed", queue_id=str(queue_id), exc_info=True)
