"""arq WorkerSettings built from contactcenter Settings."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import aiohttp
from arq import cron, func
from arq.worker import Worker

from contactcenter import constants, logs
from contactcenter.app import redis_settings
from contactcenter.settings import Settings, require
from contactcenter.store import db
from workers import jobs
from workers import outbound as outbound_jobs
from workers import pollers as poller_jobs
from workers import sla as sla_jobs

SWEEP_SECONDS = set(range(0, 60, constants.SWEEP_EVERY_S))


def create_worker(settings: Settings, **overrides: Any) -> Worker:
    """An arq Worker with our jobs and a PostgreSQL pool in its context."""

    async def startup(ctx: dict[str, Any]) -> None:
        ctx["settings"] = settings
        ctx["pool"] = await db.create_pool(require(settings.database_url, "CC_DATABASE_URL"), 5)
        ctx["http"] = aiohttp.ClientSession(headers={"User-Agent": "contactcenter"})

    async def shutdown(ctx: dict[str, Any]) -> None:
        if "pool" in ctx:
            await ctx["pool"].close()
        if "http" in ctx:
            await ctx["http"].close()

    async def on_job_start(ctx: dict[str, Any]) -> None:
        logs.clear()
        logs.bind(job_id=ctx.get("job_id"))

    options: dict[str, Any] = {
        # keep_result=0: finished jobs leave no result keys; ids are unique per generation.
        "functions": [
            func(jobs.route_queue, name="route_queue", keep_result=0, max_tries=5),
            func(jobs.expire_due, name="expire_due", keep_result=0, max_tries=5),
            func(sla_jobs.sla_drain, name="sla_drain", keep_result=0, max_tries=5),
            func(sla_jobs.sla_fire, name="sla_fire", keep_result=0, max_tries=5),
            # max_tries=1: a job that dies mid-send must not run again (the sweep fails the
            # message instead of sending it twice); retries are new jobs per attempt.
            func(outbound_jobs.deliver, name="deliver", keep_result=0, max_tries=1),
        ],
        "cron_jobs": [
            cron(
                poller_jobs.poll_youtube,
                name="poll_youtube",
                second={30},  # once a minute: 1,440 of YouTube's 10,000 daily quota units
                unique=True,
                keep_result=0,
            ),
            cron(
                poller_jobs.poll_flickr,
                name="poll_flickr",
                minute=set(range(0, 60, 5)),  # every 5 minutes (the API's activity is hourly)
                second={40},
                unique=True,
                keep_result=0,
            ),
            cron(
                poller_jobs.poll_reviews,
                name="poll_reviews",
                minute=set(range(0, 60, 10)),  # the push is the fast path; this catches gaps
                second={50},
                unique=True,
                keep_result=0,
            ),
            cron(
                jobs.sweep,
                name="sweep",
                second=SWEEP_SECONDS,
                run_at_startup=True,
                unique=True,
                keep_result=0,
            ),
        ],
        "redis_settings": redis_settings(require(settings.redis_url, "CC_REDIS_URL")),
        "queue_name": constants.ARQ_QUEUE,
        "on_startup": startup,
        "on_shutdown": shutdown,
        "on_job_start": on_job_start,
        "handle_signals": False,
        # Idle workers look for new jobs this often; it bounds the queue wait of a routing
        # request (arq's default, 0.5 s, alone would exceed the 250 ms webhook-to-offer budget).
        "poll_delay": 0.02,
    }
    options.update(overrides)
    return Worker(**options)


async def stop_worker(worker: Worker, run_task: asyncio.Task[None], grace_s: float = 10.0) -> None:
    """Stop polling, let jobs in flight finish (up to grace_s), then close the worker.

    arq's own close() cancels running jobs and re-raises their CancelledError, skipping its
    shutdown hooks; a routing pass or an expiry is better finished than retried.
    """
    run_task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await run_task
    running = [t for t in worker.tasks.values() if not t.done()]
    if running:
        await asyncio.wait(running, timeout=grace_s)
    with contextlib.suppress(asyncio.CancelledError):
        await worker.close()
