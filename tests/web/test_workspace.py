"""What the dashboards read: an agent's tickets by SLA urgency, a queue's waiting list (only
for its team), the admin's connection check, and the live stream's filtering per user."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import asyncpg
import orjson
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from contactcenter import constants
from contactcenter.models import User
from contactcenter.settings import Settings
from contactcenter.web.events import for_user
from tests.helpers import post_whatsapp, wa_hook, wa_text
from tests.world import World

Client = TestClient[Any, Any]


async def _tickets(client: Client, world: World, n: int) -> list[int]:
    for i in range(n):
        body = wa_hook(wa_text(f"wamid.W{i}", f"49151000001{i:02d}", "Hallo", 1764460800 + i))
        assert (await (await post_whatsapp(client, world, body)).json())["stored"] == 1
    return []


async def test_my_tickets_most_urgent_deadline_first(
    client: Client, world: World, pool: asyncpg.Pool
) -> None:
    await _tickets(client, world, 3)
    ids = [r["id"] for r in await pool.fetch("SELECT id FROM tickets ORDER BY id")]
    await pool.execute("UPDATE tickets SET assignee_id = $1, routing = 'assigned'", world.agent.id)
    for ticket_id, minutes in zip(ids, (30, 5, 60), strict=True):
        await pool.execute("UPDATE tickets SET sla_due_at = now() + make_interval(mins => $2) "
                           "WHERE id = $1", ticket_id, minutes)  # fmt: skip
    await pool.execute("UPDATE tickets SET status = 'solved' WHERE id = $1", ids[2])
    mine = await (await client.get("/api/v1/me/tickets", headers=world.auth("agent"))).json()
    assert [t["id"] for t in mine["items"]] == [ids[1], ids[0]]  # the solved one is done
    assert mine["items"][0]["last_inbound_at"] is not None  # the reply box's window rule
    theirs = await (await client.get("/api/v1/me/tickets", headers=world.auth("agent_b"))).json()
    assert theirs["items"] == []


async def test_waiting_list_longest_first_and_team_bound(
    client: Client, world: World, pool: asyncpg.Pool
) -> None:
    await _tickets(client, world, 2)
    await pool.execute("UPDATE tickets SET queued_at = now() - make_interval(secs => id * 10)")
    first = await pool.fetchval("SELECT max(id) FROM tickets")  # queued longest ago
    url = f"/api/v1/queues/{world.queue.id}/waiting"
    waiting = await (await client.get(url, headers=world.auth("agent"))).json()
    assert [t["id"] for t in waiting["items"]] == [first, first - 1]
    vip = await client.get(
        f"/api/v1/queues/{world.queue_b.id}/waiting", headers=world.auth("agent")
    )
    assert vip.status == 403  # team B's queue
    ok = await client.get(
        f"/api/v1/queues/{world.queue_b.id}/waiting", headers=world.auth("agent_b")
    )
    assert ok.status == 200


@pytest.fixture
async def telegram() -> Any:
    """Telegram's getMe: the bot when the token is right."""

    async def get_me(request: web.Request) -> web.Response:
        ok = request.match_info["bot"] == "bot7000000042:AAtest-bot-token"
        return web.json_response({"ok": ok, "result": {"username": "acme_bot"}} if ok
                                 else {"ok": False, "description": "Unauthorized"})  # fmt: skip

    app = web.Application()
    app.router.add_get("/{bot}/getMe", get_me)
    async with TestServer(app) as server:
        yield str(server.make_url("")).rstrip("/")


@pytest.fixture
def settings(settings: Settings, telegram: str) -> Settings:
    return settings.model_copy(update={"telegram_api_url": telegram})


async def test_connection_check_asks_the_platform(
    client: Client, world: World, pool: asyncpg.Pool
) -> None:
    url = f"/api/v1/channel-accounts/{world.telegram.id}/check"
    assert (await client.post(url, headers=world.auth("supervisor"))).status == 403
    result = await (await client.post(url, headers=world.auth("admin"))).json()
    assert result["ok"] is True and result["missing_credentials"] == []
    assert result["platform"] == {"ok": True, "detail": "Telegram knows the bot as @acme_bot"}
    await pool.execute("UPDATE channel_accounts SET credentials = credentials || "
                       "'{\"bot_token\": \"7000000042:revoked\"}' WHERE id = $1",
                       world.telegram.id)  # fmt: skip
    broken = await (await client.post(url, headers=world.auth("admin"))).json()
    assert broken["ok"] is False and broken["platform"]["detail"] == "Telegram: Unauthorized"


def _user(world: World, who: str) -> User:
    user: User = getattr(world, who)
    return user


def test_agents_get_their_own_events_and_only_ids_of_others(world: World) -> None:
    agent, sup = _user(world, "agent"), _user(world, "supervisor")
    mine = {"type": "offer.created", "agent_id": str(agent.id), "ticket_id": 7, "brand_id": "b"}
    other = mine | {"agent_id": "someone-else"}
    update = {"type": "ticket.updated", "ticket_id": 7, "brand_id": "b", "field": "priority",
              "from": "normal", "to": "urgent", "actor_id": "x"}  # fmt: skip
    assert for_user(agent, mine) == mine and for_user(agent, other) is None
    assert for_user(agent, update) == {"type": "ticket.updated", "ticket_id": 7}
    assert for_user(agent, {"type": "presence.changed", "user_id": "x"}) is None
    assert for_user(sup, other) == other and for_user(sup, update) == update


async def test_the_live_stream_over_http(client: Client, world: World, arq: Any) -> None:
    """An agent's stream carries their offer and a stripped ticket event, not others' offers."""
    resp = await client.get("/api/v1/events", headers=world.auth("agent"))
    assert resp.status == 200 and resp.content_type == "text/event-stream"
    assert (await resp.content.readline()).startswith(b"retry:")
    channel = constants.EVENTS_CHANNEL.format(brand_id=world.brand.id)
    events = [{"type": "offer.created", "agent_id": "someone-else", "ticket_id": 1},
              {"type": "offer.created", "agent_id": str(world.agent.id), "ticket_id": 2},
              {"type": "message.created", "ticket_id": 3, "message_id": 9, "direction": "inbound",
               "brand_id": str(world.brand.id)}]  # fmt: skip
    await asyncio.sleep(0.2)  # subscribed
    await arq.publish(channel, orjson.dumps(events))
    data = b""
    async with asyncio.timeout(5):
        while not data.startswith(b"data: "):
            data = await resp.content.readline()
    got = orjson.loads(data.removeprefix(b"data: "))
    assert got == [events[1], {"type": "message.created", "ticket_id": 3, "message_id": 9}]
    with contextlib.suppress(Exception):
        resp.close()


def test_an_agents_released_offers_reach_only_them(world: World) -> None:
    agent = _user(world, "agent")
    for kind in ("offer.declined", "offer.expired", "offer.cancelled"):
        event = {"type": kind, "agent_id": str(agent.id), "ticket_id": 4, "brand_id": "b"}
        assert for_user(agent, event) == event
        assert for_user(_user(world, "agent_b"), event) is None


async def test_the_live_stream_keeps_the_agent_present(
    client: Client, world: World, arq: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Background tabs slow the page's own heartbeat timer: the open stream beats for it."""
    from contactcenter.web import events as events_module

    monkeypatch.setattr(events_module, "RECHECK_S", 0.1)
    key = constants.HEARTBEAT_KEY.format(user_id=world.agent.id)
    resp = await client.get("/api/v1/events", headers=world.auth("agent"))
    await resp.content.readline()
    async with asyncio.timeout(5):
        while not await arq.get(key):
            await asyncio.sleep(0.05)
    resp.close()


async def test_going_offline_by_the_sweep_is_announced(
    client: Client, world: World, pool: asyncpg.Pool, arq: Any
) -> None:
    """The worker sets an agent offline when their heartbeat stops: their dashboard hears it
    (the presence menu follows) instead of showing "available" with no offers coming."""
    from tests.routing.staffing import staff
    from workers.jobs import _lost_heartbeats

    await staff(client, world, "agent")  # available, with a heartbeat
    await arq.delete(constants.HEARTBEAT_KEY.format(user_id=world.agent.id))
    pubsub = arq.pubsub()
    await pubsub.subscribe(constants.AGENT_EVENTS_CHANNEL)
    await pubsub.get_message(timeout=1.0)  # the subscription itself
    async with pool.acquire() as conn:
        assert await _lost_heartbeats(conn, arq) == 1
    msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=2.0)
    await pubsub.aclose()
    assert msg is not None
    assert orjson.loads(msg["data"]) == [{"type": "presence.changed", "user_id": str(world.agent.id),
                                          "to": "offline", "reason": "heartbeat_lost"}]  # fmt: skip
