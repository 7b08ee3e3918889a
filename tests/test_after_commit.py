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
                events.extend(orjson.loads(msg["data"]))  # one JSON array per commit and brand
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
    """Three new tickets in one queue → one queued route job; the worker runs it and clears it."""
    for i in range(3):
        body = wa_hook(wa_text(f"wamid.route{i}", f"49151888888{i}", "Hi", 1700000000 + i))
        assert (await post_whatsapp(client, world, body)).status == 200
    pending = constants.ROUTE_PENDING_KEY.format(queue_id=world.queue.id)
    async with asyncio.timeout(5):
        while not await redis.exists(pending):
            await asyncio.sleep(0.02)
    await asyncio.sleep(3 * constants.ROUTE_COALESCE_S)  # the trailing request finds it pending
    job_id = (await redis.get(pending)).decode()
    assert job_id.startswith(f"route:{world.queue.id}:")
    queued = await redis.zrange(constants.ARQ_QUEUE, 0, -1)
    assert [j for j in queued if j.startswith(f"route:{world.queue.id}:".encode())] == [
        job_id.encode()
    ]
    worker = create_worker(settings, burst=True, poll_delay=0.01)
    try:
        await worker.main()
    finally:
        await worker.close()
    assert worker.jobs_failed == 0 and worker.jobs_complete >= 1
    assert not await redis.exists(pending)  # the job took the request before reading anything
    assert not await redis.exists(f"arq:job:{job_id}")  # keep_result=0: nothing left behind


async def test_routing_triggers_are_coalesced_but_never_dropped(redis: aioredis.Redis) -> None:
    """A burst of triggers asks at once and once more after the interval; a later one asks again."""
    from contactcenter.live import Announcer
    from contactcenter.models import QueueId

    calls: list[float] = []

    class Recorder(Announcer):
        async def _request(self, queue_id: QueueId) -> None:
            calls.append(asyncio.get_running_loop().time())

    queue = QueueId(__import__("uuid").uuid4())
    announcer = Recorder(redis, interval_s=0.05)  # type: ignore[arg-type]
    for _ in range(20):
        announcer._trigger(queue)
    await asyncio.sleep(0.01)
    assert len(calls) == 1  # the first trigger asks immediately
    await asyncio.sleep(0.08)
    assert len(calls) == 2  # the trailing request covers the 19 others
    assert calls[1] - calls[0] >= 0.045
    await asyncio.sleep(0.06)
    announcer._trigger(queue)  # quiet for longer than the interval: asks at once again
    await asyncio.sleep(0.01)
    assert len(calls) == 3
    announcer._trigger(queue)  # inside the interval: planned, and close() sends it
    await announcer.close()
    assert len(calls) == 4
