"""Put agents to work in tests: queues, skills, shifts that cover now, presence, routing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg
from aiohttp.test_utils import TestClient

from contactcenter.actions.routing import RoutePass, do_route_queue
from tests.world import World

Client = TestClient[Any, Any]
ALL_DAY = {"timezone": "UTC", "weekly": [{"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                                          "start": "00:00", "end": "00:00"}]}  # fmt: skip


async def staff(
    client: Client,
    world: World,
    who: str,
    *,
    queues: list[UUID] | None = None,
    capacity: dict[str, int] | None = None,
    skills: dict[str, int] | None = None,
    languages: list[str] | None = None,
    shifts: dict[str, Any] | None = ALL_DAY,
    presence: str | None = "available",
) -> UUID:
    """Configure one of the world's users as an agent; returns their id."""
    user = getattr(world, who)
    body = {"queue_ids": [str(q) for q in (queues or [world.queue.id])],
            "capacity": capacity or {"chat": 2}, "skills": skills or {},
            "languages": languages or ["de", "en"]}  # fmt: skip
    resp = await client.patch(f"/api/v1/users/{user.id}", headers=world.auth("admin"), json=body)
    assert resp.status == 200, await resp.text()
    if shifts is not None:
        resp = await client.put(
            f"/api/v1/users/{user.id}/shifts", headers=world.auth("supervisor"), json=shifts
        )
        assert resp.status == 200, await resp.text()
    if presence is not None:
        resp = await client.put(
            "/api/v1/me/presence", headers=world.auth(who), json={"status": presence}
        )
        assert resp.status == 200, await resp.text()
    uid: UUID = user.id
    return uid


async def route(pool: asyncpg.Pool, queue_id: UUID) -> RoutePass:
    """One routing pass, as the worker's route_queue job makes it."""

    async with pool.acquire() as conn:
        return await do_route_queue(conn, queue_id, datetime.now(UTC))


async def offers(client: Client, world: World, who: str) -> list[dict[str, Any]]:
    resp = await client.get("/api/v1/me/offers", headers=world.auth(who))
    assert resp.status == 200
    items: list[dict[str, Any]] = (await resp.json())["items"]
    return items


def closed_now() -> dict[str, Any]:
    """Opening hours that are closed now and for the next day either way (so a test that runs
    across midnight is not open by surprise): one hour on a weekday three days away."""
    day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[(datetime.now(UTC).weekday() + 3) % 7]
    return {"timezone": "UTC", "weekly": [{"days": [day], "start": "09:00", "end": "10:00"}]}
