"""After-commit announcements: live events on Redis pub/sub and routing jobs on the arq queue.

Called only once the data is committed. Redis is not the source of truth: if it is down the
announcement is lost, and the routing sweep and dashboards' reloads catch up from PostgreSQL.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import orjson
from arq import ArqRedis

from contactcenter import constants, logs
from contactcenter.actions.ingest import AfterCommit
from contactcenter.models import QueueId

log = logs.get_logger(__name__)


async def publish(redis: ArqRedis, events: list[dict[str, Any]]) -> None:
    """Publish events on their brand's channel, in one round trip."""
    if not events:
        return
    by_channel: dict[str, list[bytes]] = defaultdict(list)
    for event in events:
        by_channel[constants.EVENTS_CHANNEL.format(brand_id=event["brand_id"])].append(
            orjson.dumps(event)
        )
    async with redis.pipeline(transaction=False) as pipe:
        for channel, payloads in by_channel.items():
            for payload in payloads:
                pipe.publish(channel, payload)
        await pipe.execute()


async def request_routing(redis: ArqRedis, queue_id: QueueId) -> bool:
    """Enqueue `route_queue` for one queue; False when that job is already waiting."""
    job = await redis.enqueue_job(
        "route_queue",
        str(queue_id),
        _job_id=constants.ROUTE_JOB_ID.format(queue_id=queue_id),
        _queue_name=constants.ARQ_QUEUE,
    )
    return job is not None


async def announce(redis: ArqRedis, after: AfterCommit) -> None:
    await publish(redis, after.events)
    for queue_id in sorted(after.route_queues):
        await request_routing(redis, queue_id)


async def publish_quietly(redis: ArqRedis, events: list[dict[str, Any]]) -> None:
    """Publish after commit from a request; Redis trouble is logged, never the caller's problem."""
    try:
        await publish(redis, events)
    except Exception:
        log.warning("live.publish_failed", events=len(events), exc_info=True)
