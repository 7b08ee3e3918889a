"""Job functions. Each is safe to run twice and concurrently (DESIGN.md, Processes)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from contactcenter import logs
from contactcenter.store import catalog, db

log = logs.get_logger(__name__)


async def route_queue(ctx: dict[str, Any], queue_id: str) -> int:
    """Routing entry point for one queue, enqueued after a ticket is created or reopened.

    The offer logic (shifts, presence, skills, capacity) belongs to the routing engine; this job
    reads how many tickets are waiting so the trigger path is exercised end to end. Returns that
    count.
    """
    logs.bind(job_id=ctx.get("job_id"), queue_id=queue_id)
    async with db.connection(ctx["pool"]) as conn:
        waiting = await catalog.waiting_count(conn, UUID(queue_id))
    log.info("route.requested", waiting=waiting)
    return waiting
