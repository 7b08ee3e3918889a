"""SLA test helpers: an arq pool for the jobs, a brand policy, customers writing in."""

from __future__ import annotations

import time
from typing import Any

import asyncpg
from aiohttp.test_utils import TestClient
from arq import ArqRedis

from tests.helpers import post_whatsapp, wa_hook, wa_text
from tests.world import World
from workers import sla as sla_jobs

Client = TestClient[Any, Any]

POLICY = {
    "name": "Standard",
    "targets": {
        "normal": {"first_response_s": 600, "next_response_s": 1200, "resolution_s": 86400},
        "urgent": {"first_response_s": 60, "next_response_s": 120, "resolution_s": 3600},
    },
    "warn_at": [0.5, 0.8],
    "is_default": True,
}


async def make_policy(client: Client, world: World, **changes: Any) -> dict[str, Any]:
    body = POLICY | {"brand_id": str(world.brand.id)} | changes
    resp = await client.post("/api/v1/sla-policies", json=body, headers=world.auth("admin"))
    assert resp.status == 201, await resp.text()
    policy: dict[str, Any] = await resp.json()
    return policy


async def customer_writes(client: Client, world: World, wamid: str, phone: str) -> None:
    """A WhatsApp text sent just now (so WhatsApp's 24-hour reply window is open)."""
    body = wa_hook(wa_text(wamid, phone, "Hallo", int(time.time())))
    resp = await post_whatsapp(client, world, body)
    assert resp.status == 200 and (await resp.json())["stored"] == 1


async def drain(pool: asyncpg.Pool, arq: ArqRedis) -> int:
    return await sla_jobs.drain(pool, arq)


async def clocks(pool: asyncpg.Pool, ticket_id: int) -> dict[str, asyncpg.Record]:
    """The latest clock per target."""
    rows = await pool.fetch(
        "SELECT * FROM sla_clocks WHERE ticket_id = $1 ORDER BY started_at", ticket_id
    )
    return {r["target"]: r for r in rows}


async def ticket(client: Client, world: World, ticket_id: int, who: str = "agent") -> Any:
    resp = await client.get(f"/api/v1/tickets/{ticket_id}", headers=world.auth(who))
    assert resp.status == 200
    return await resp.json()
