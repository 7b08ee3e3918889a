"""After commit: live events on Redis pub/sub, one deduplicated routing job per queue, the worker."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import redis.asyncio as aioredis
from aiohttp.test_utils import TestClient

from contactcenter import constants
from contactcenter.settings import Settings
from tests.helpers import post_whatsapp, wa_hook, wa_text
from tests.world import World
from workers.settings import create_worker

Client = TestClient[Any, Any]


async def _next_events(pubsub: Any, n: int) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    async with asyncio.timeout(5):
        while len(events) < n:
            msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1)
            if msg is not None:
                events.append(orjson.loads(msg["data"]))
    return events


async def test_events_are_published_after_commit(
    client: Client, world: World, redis: aioredis.Redis
) -> None:
    """A new customer message publishes ticket.created and message.created on the brand's channel."""
    pubsub = redis.pubsub()
    await pubsub.subscribe(constants.EVENTS_CHANNEL.format(brand_id=world.brand.id))
    body = wa_hook(wa_text("wamid.live1", "4915177777777", "Hallo", 1700000000))
    assert (await post_whatsapp(client, world, body)).status == 200
    events = await _next_events(pubsub, 2)
    assert {e["type"] for e in events} == {"ticket.created", "message.created"}
    assert all(e["brand_id"] == str(world.brand.id) for e in events)
    created = next(e for e in events if e["type"] == "ticket.created")
    assert (
        created["queue_id"] == str(world.queue.id) and "Hallo" not in orjson.dumps(events).decode()
    )
    await pubsub.aclose()


async def test_routing_job_is_enqueued_once_per_queue_and_run_by_the_worker(
    client: Client, world: World, redis: aioredis.Redis, settings: Settings
) -> None:
    """Three new tickets in one queue → one queued `route:{queue}` job; the worker runs it."""
    for i in range(3):
        body = wa_hook(wa_text(f"wamid.route{i}", f"49151888888{i}", "Hi", 1700000000 + i))
        assert (await post_whatsapp(client, world, body)).status == 200
    job_key = f"arq:job:{constants.ROUTE_JOB_ID.format(queue_id=world.queue.id)}"
    async with asyncio.timeout(5):
        while not await redis.exists(job_key):
            await asyncio.sleep(0.02)
    assert await redis.zcard(constants.ARQ_QUEUE) == 1
    worker = create_worker(settings, burst=True, poll_delay=0.01)
    try:
        await worker.main()
    finally:
        await worker.close()
    assert worker.jobs_complete == 1 and worker.jobs_failed == 0
    assert not await redis.exists(job_key)  # keep_result=0: the next trigger can enqueue again
    assert await redis.zcard(constants.ARQ_QUEUE) == 0
