"""REST v1: authentication, roles, validation, tickets, messages, OpenAPI coverage."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from contactcenter.api.openapi import document
from contactcenter.api.routes import PAGES
from tests.helpers import post_telegram, post_whatsapp, tg_headers, wa_hook, wa_text
from tests.world import TG_SECRET, WA_SECRET, World

Client = TestClient[Any, Any]


async def _tickets(client: Client, world: World, who: str = "admin", **params: str) -> Any:
    resp = await client.get("/api/v1/tickets", headers=world.auth(who), params=params)
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def _seed(client: Client, world: World, n: int) -> None:
    """n WhatsApp customers → n tickets."""
    for i in range(n):
        body = wa_hook(wa_text(f"wamid.seed{i}", f"49151000{i:05d}", f"Frage {i}", 1700000000 + i))
        assert (await post_whatsapp(client, world, body)).status == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/tickets"),
        ("GET", "/api/v1/me"),
        ("POST", "/api/v1/brands"),
        ("GET", "/api/v1/queues"),
    ],
)
async def test_missing_or_unknown_token_is_401(
    client: Client, world: World, method: str, path: str
) -> None:
    """No token, a malformed header, or an unknown token: JSON 401."""
    for headers in (
        {},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer cc_not-a-real-token"},
    ):
        resp = await client.request(method, path, headers=headers)
        assert resp.status == 401
        assert (await resp.json())["error"]["code"] == "unauthenticated"


async def test_roles_are_enforced_with_403(
    client: Client, world: World, pool: asyncpg.Pool
) -> None:
    """Agents cannot create brands, users or accounts, nor list accounts; nothing is written."""
    before = await pool.fetchval("SELECT count(*) FROM brands")
    denied = [
        ("POST", "/api/v1/brands", {"name": "Evil"}, "agent"),
        ("POST", "/api/v1/brands", {"name": "Evil"}, "supervisor"),
        ("POST", "/api/v1/users", {"email": "x@y.z", "role": "admin"}, "supervisor"),
        ("GET", "/api/v1/channel-accounts", None, "agent"),
        ("GET", "/api/v1/users", None, "agent"),
    ]
    for method, path, body, who in denied:
        resp = await client.request(method, path, json=body, headers=world.auth(who))
        assert resp.status == 403, (method, path, who)
        assert "role" in (await resp.json())["error"]["message"]
    assert await pool.fetchval("SELECT count(*) FROM brands") == before
    ok = await client.get("/api/v1/channel-accounts", headers=world.auth("supervisor"))
    assert ok.status == 200


async def test_credentials_are_never_returned(client: Client, world: World) -> None:
    """Creating and reading channel accounts never echoes a secret, only which ones are set."""
    resp = await client.post(
        "/api/v1/channel-accounts",
        headers=world.auth("admin"),
        json={
            "brand_id": str(world.brand.id),
            "channel": "telegram",
            "name": "Second bot",
            "queue_id": str(world.queue.id),
            "credentials": {"bot_token": "123:SECRETBOT", "secret_token": "s3cr3t"},
        },
    )
    assert resp.status == 201
    created = await resp.json()
    assert created["webhook_url"] == f"http://testserver/webhooks/telegram/{created['id']}"
    assert created["credentials_set"] == ["bot_token", "secret_token"]
    listing = await (
        await client.get("/api/v1/channel-accounts", headers=world.auth("admin"))
    ).text()
    single = await (
        await client.get(f"/api/v1/channel-accounts/{created['id']}", headers=world.auth("admin"))
    ).text()
    for secret in ("SECRETBOT", "s3cr3t", WA_SECRET, TG_SECRET):
        assert secret not in listing and secret not in single


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"channel": "whatsapp", "credentials": {"app_secret": "x"}}, "lack verify_token"),
        (
            {
                "channel": "telegram",
                "credentials": {"bot_token": "1:x", "secret_token": "has space"},
            },
            "secret_token",
        ),
        ({"channel": "fax", "credentials": {}}, "Unknown channel"),
        ({"channel": "telegram", "credentials": {}, "colour": "red"}, "colour"),
    ],
)
async def test_invalid_channel_account_is_400(
    client: Client, world: World, pool: asyncpg.Pool, body: dict[str, Any], fragment: str
) -> None:
    """Bad input gets a 4xx whose message says what to fix; nothing is stored."""
    payload = {
        "brand_id": str(world.brand.id),
        "name": "New",
        "queue_id": str(world.queue.id),
        **body,
    }
    resp = await client.post("/api/v1/channel-accounts", headers=world.auth("admin"), json=payload)
    assert resp.status == 400
    assert fragment in (await resp.json())["error"]["message"]
    assert await pool.fetchval("SELECT count(*) FROM channel_accounts") == 3


async def test_brand_queue_user_lifecycle(client: Client, world: World) -> None:
    """An admin creates a brand, a queue with overflow, and a user whose token works at once."""
    admin = world.auth("admin")
    brand = await (
        await client.post("/api/v1/brands", headers=admin, json={"name": "Beta GmbH"})
    ).json()
    dup = await client.post("/api/v1/brands", headers=admin, json={"name": "beta gmbh"})
    assert dup.status == 409
    queue = await client.post(
        "/api/v1/queues",
        headers=admin,
        json={
            "brand_id": brand["id"],
            "name": "Chat",
            "required_skills": {"german": 2},
            "overflow": [{"after_s": 60, "drop_skills": ["german"]}],
            "strategy": "least_occupied",
        },
    )
    assert queue.status == 201
    assert (await queue.json())["overflow"] == [{"after_s": 60, "drop_skills": ["german"]}]
    bad = await client.post(
        "/api/v1/queues",
        headers=admin,
        json={"brand_id": brand["id"], "name": "X", "strategy": "random"},
    )
    assert bad.status == 400 and "strategy" in (await bad.json())["error"]["message"]
    user = await client.post(
        "/api/v1/users",
        headers=admin,
        json={
            "email": "new@beta.test",
            "name": "Neu",
            "role": "agent",
            "timezone": "Europe/Berlin",
        },
    )
    assert user.status == 201
    token = (await user.json())["token"]
    me = await (await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})).json()
    assert (me["email"], me["role"], me["timezone"]) == ("new@beta.test", "agent", "Europe/Berlin")
    tz = await client.post(
        "/api/v1/users",
        headers=admin,
        json={"email": "a@b.c", "role": "agent", "timezone": "Mars/Olympus"},
    )
    assert tz.status == 400 and "IANA" in (await tz.json())["error"]["message"]
    patched = await client.patch(
        f"/api/v1/users/{me['id']}",
        headers=admin,
        json={"team_id": str(world.team_b.id), "supervisor_id": str(world.supervisor.id)},
    )
    assert (await patched.json())["team_id"] == str(world.team_b.id)


async def test_ticket_filters_and_cursor_pagination(client: Client, world: World) -> None:
    """Pages of 2 walk all 5 tickets once, newest first; filters narrow; a forged cursor is 400."""
    await _seed(client, world, 4)
    assert (
        await post_telegram(
            client,
            world,
            (
                b'{"update_id": 1, "message": {"message_id": 5, "date": 1700000100,'
                b' "from": {"id": 99, "first_name": "Tele"}, "chat": {"id": 99, "type": "private"}, "text": "hi"}}'
            ),
        )
    ).status == 200
    seen: list[int] = []
    cursor = None
    while True:
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = await _tickets(client, world, **params)
        seen += [t["id"] for t in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(seen, reverse=True) and len(seen) == 5 == len(set(seen))
    assert [t["channel"] for t in (await _tickets(client, world, channel="telegram"))["items"]] == [
        "telegram"
    ]
    assert len((await _tickets(client, world, status="new,open"))["items"]) == 5
    assert (await _tickets(client, world, status="solved"))["items"] == []
    bad = await client.get(
        "/api/v1/tickets", headers=world.auth("admin"), params={"cursor": "Zm9yZ2Vk"}
    )
    assert bad.status == 400 and (await bad.json())["error"]["code"] == "invalid_cursor"
    unknown = await client.get(
        "/api/v1/tickets", headers=world.auth("admin"), params={"status": "lost"}
    )
    assert unknown.status == 400


async def test_patch_status_records_events_and_closed_is_final(
    client: Client, world: World, pool: asyncpg.Pool
) -> None:
    """An agent solves and closes a ticket; each change is an event; reopening closed is 409."""
    await _seed(client, world, 1)
    [ticket] = (await _tickets(client, world, "agent"))["items"]
    url = f"/api/v1/tickets/{ticket['id']}"
    for status in ("open", "solved", "closed"):
        resp = await client.patch(url, headers=world.auth("agent"), json={"status": status})
        assert resp.status == 200 and (await resp.json())["status"] == status
    again = await client.patch(url, headers=world.auth("supervisor"), json={"status": "open"})
    assert again.status == 409
    kinds = await pool.fetch(
        "SELECT kind, data->>'to' AS to FROM events WHERE ticket_id = $1 ORDER BY id", ticket["id"]
    )
    assert [(r["kind"], r["to"]) for r in kinds] == [
        ("ticket.created", None),
        ("ticket.updated", "open"),
        ("ticket.updated", "solved"),
        ("ticket.updated", "closed"),
    ]
    with pytest.raises(asyncpg.RaiseError):
        await pool.execute("DELETE FROM events")
    bad = await client.patch(url, headers=world.auth("agent"), json={"status": "gone"})
    assert bad.status == 400


async def test_agents_cannot_move_tickets_or_see_other_teams(client: Client, world: World) -> None:
    """Queue changes need a supervisor; an agent gets 403 on another team's ticket and never lists it."""
    await _seed(client, world, 1)
    body = b'{"update_id": 7, "message": {"message_id": 1, "date": 1700000000, "from": {"id": 5, "first_name": "V"}, "chat": {"id": 5, "type": "private"}, "text": "VIP"}}'
    resp = await client.post(
        f"/webhooks/telegram/{world.telegram_b.id}", data=body, headers=tg_headers("vip-secret")
    )
    assert resp.status == 200
    everything = (await _tickets(client, world, "supervisor"))["items"]
    vip = next(t for t in everything if t["queue_id"] == str(world.queue_b.id))
    general = next(t for t in everything if t["queue_id"] == str(world.queue.id))
    denied = await client.get(f"/api/v1/tickets/{vip['id']}", headers=world.auth("agent"))
    assert denied.status == 403 and (await denied.json())["error"]["code"] == "forbidden"
    messages = await client.get(
        f"/api/v1/tickets/{vip['id']}/messages", headers=world.auth("agent")
    )
    assert messages.status == 403
    assert [t["id"] for t in (await _tickets(client, world, "agent"))["items"]] == [general["id"]]
    assert {t["id"] for t in (await _tickets(client, world, "agent_b"))["items"]} == {
        general["id"],
        vip["id"],
    }
    move = await client.patch(
        f"/api/v1/tickets/{general['id']}",
        headers=world.auth("agent"),
        json={"queue_id": str(world.queue_b.id)},
    )
    assert move.status == 403
    moved = await client.patch(
        f"/api/v1/tickets/{general['id']}",
        headers=world.auth("supervisor"),
        json={"queue_id": str(world.queue_b.id), "assignee_id": str(world.agent_b.id)},
    )
    assert moved.status == 200
    assert (
        await client.get(f"/api/v1/tickets/{general['id']}", headers=world.auth("agent"))
    ).status == 403


async def test_unknown_route_and_wrong_method_are_json(client: Client, world: World) -> None:
    for method, path, status in (
        ("GET", "/nope", 404),
        ("DELETE", "/api/v1/brands", 405),
        ("GET", "/api/v1/tickets/abc", 404),
        ("GET", "/api/v1/tickets/99999", 404),
    ):
        resp = await client.request(method, path, headers=world.auth("admin"))
        assert resp.status == status
        assert set((await resp.json())["error"]) == {"code", "message"}
        assert resp.headers["X-Request-Id"]


async def test_openapi_describes_every_registered_route(client: Client, world: World) -> None:
    """Every API route the router knows (except HEAD twins) is in /api/openapi.json, and vice versa."""
    spec = await (await client.get("/api/openapi.json")).json()
    registered = {
        (r.method.lower(), r.resource.canonical)
        for r in client.server.app.router.routes()
        if r.method != "HEAD" and r.resource is not None
    } - {(m.lower(), p) for m, p, _ in PAGES}  # the dashboards' HTML pages are not API
    documented = {(m, p) for p, ops in spec["paths"].items() for m in ops}
    assert registered == documented and len(registered) >= 20
    assert spec == document()
    create_user = spec["paths"]["/api/v1/users"]["post"]
    assert create_user["security"] == [{"bearer": []}]
    assert create_user["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/UserIn"
    }
    assert "UserCreated" in spec["components"]["schemas"]


async def test_patch_is_all_or_nothing_and_refuses_nulls(
    client: Client, world: World, pool: asyncpg.Pool
) -> None:
    """A refused assignment undoes the status change of the same PATCH; nulls are 400s, not 500s."""
    await _seed(client, world, 2)
    first, second = [t["id"] for t in (await _tickets(client, world))["items"]]
    sup = world.auth("supervisor")
    await client.patch(
        f"/api/v1/users/{world.agent.id}",
        headers=world.auth("admin"),
        json={"capacity": {"chat": 1}, "queue_ids": [str(world.queue.id)] * 2},
    )
    assert (
        await client.patch(
            f"/api/v1/tickets/{first}", headers=sup, json={"assignee_id": str(world.agent.id)}
        )
    ).status == 200
    refused = await client.patch(
        f"/api/v1/tickets/{second}",
        headers=sup,
        json={"status": "pending", "assignee_id": str(world.agent.id)},
    )
    assert refused.status == 409
    assert await pool.fetchval("SELECT status FROM tickets WHERE id = $1", second) == "new"
    for body in ({"status": None}, {"priority": None}, {"tags": None}, {"tags": ["a\x00b"]}):
        resp = await client.patch(f"/api/v1/tickets/{second}", headers=sup, json=body)
        assert resp.status == 400, body
    for body in ({"name": None}, {"timezone": None}):
        resp = await client.patch(
            f"/api/v1/users/{world.agent.id}", headers=world.auth("admin"), json=body
        )
        assert resp.status == 400, body


async def test_reopen_by_hand_goes_back_through_routing(
    client: Client, world: World, pool: asyncpg.Pool
) -> None:
    """Reopening a solved ticket unassigns it (its agent stays first in line) instead of adding it to
    their load; reopening one whose customer has a newer ticket is a 409."""
    await _seed(client, world, 1)
    [ticket] = [t["id"] for t in (await _tickets(client, world))["items"]]
    sup = world.auth("supervisor")
    await client.patch(
        f"/api/v1/tickets/{ticket}", headers=sup, json={"assignee_id": str(world.agent.id)}
    )
    await client.patch(f"/api/v1/tickets/{ticket}", headers=sup, json={"status": "solved"})
    assert (
        await client.patch(f"/api/v1/tickets/{ticket}", headers=sup, json={"status": "open"})
    ).status == 200
    row = await pool.fetchrow(
        "SELECT assignee_id, last_assignee_id, routing FROM tickets WHERE id = $1", ticket
    )
    assert (row["assignee_id"], row["last_assignee_id"], row["routing"]) == (
        None,
        world.agent.id,
        "waiting",
    )
    await client.patch(f"/api/v1/tickets/{ticket}", headers=sup, json={"status": "solved"})
    await pool.execute(
        "UPDATE tickets SET solved_at = now() - interval '30 days' WHERE id = $1", ticket
    )
    body = wa_hook(wa_text("wamid.newer", "4915100000000", "again", 1800000000))
    assert (
        await post_whatsapp(client, world, body)
    ).status == 200  # a newer ticket for the same customer
    conflict = await client.patch(f"/api/v1/tickets/{ticket}", headers=sup, json={"status": "open"})
    assert (
        conflict.status == 409
        and "newer open ticket" in (await conflict.json())["error"]["message"]
    )
