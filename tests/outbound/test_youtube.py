"""YouTube comments: polled with a high-water mark (one page when nothing is new), quota
respected, duplicates ignored, replies under the thread's top-level comment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from tests.outbound.conftest import Fake
from tests.world import World
from workers.outbound import deliver
from workers.pollers import poll_youtube

Client = TestClient[Any, Any]
OWN = "UCacme"


def _comment(
    cid: str,
    author: str,
    text: str,
    minutes_ago: int,
    parent: str | None = None,
    channel: str | None = None,
) -> dict[str, Any]:
    at = (datetime.now(UTC) - timedelta(minutes=minutes_ago)).isoformat().replace("+00:00", "Z")
    snippet = {
        "authorDisplayName": author,
        "authorChannelId": {"value": channel or f"UC{author}"},
        "textOriginal": text,
        "textDisplay": text,
        "publishedAt": at,
        "videoId": "v1",
    }
    if parent:
        snippet["parentId"] = parent
    return {"id": cid, "snippet": snippet}


@pytest.fixture
async def youtube() -> Any:
    state: dict[str, Any] = {"pages": [], "calls": 0, "quota": False, "fail_page": None,
                             "replies": {}}  # fmt: skip

    async def threads(request: web.Request) -> web.Response:
        state["calls"] += 1
        assert request.query["allThreadsRelatedToChannelId"] == OWN
        if state["quota"]:
            return web.json_response(
                {
                    "error": {
                        "code": 403,
                        "message": "quota",
                        "errors": [{"reason": "quotaExceeded"}],
                    }
                },
                status=403,
            )
        page = int(request.query.get("pageToken", "0"))
        if page == state["fail_page"]:
            return web.Response(status=502, text="<html>Bad gateway</html>")
        items = state["pages"][page] if page < len(state["pages"]) else []
        body: dict[str, Any] = {"items": items}
        if page + 1 < len(state["pages"]):
            body["nextPageToken"] = str(page + 1)
        return web.json_response(body)

    async def replies(request: web.Request) -> web.Response:
        """comments.list?parentId=: every reply of the thread, two per page."""
        assert request.query["part"] == "snippet"
        every = state["replies"][request.query["parentId"]]
        page = int(request.query.get("pageToken", "0"))
        body: dict[str, Any] = {"items": every[page * 2 : page * 2 + 2]}
        if page * 2 + 2 < len(every):
            body["nextPageToken"] = str(page + 1)
        return web.json_response(body)

    app = web.Application()
    app.router.add_get("/youtube/v3/commentThreads", threads)
    app.router.add_get("/youtube/v3/comments", replies)
    async with TestServer(app) as server:
        yield str(server.make_url("")).rstrip("/"), state


async def test_poll_then_reply(
    client: Client,
    world: World,
    pool: asyncpg.Pool,
    ctx: dict[str, Any],
    youtube: Any,
    fake: Fake,
) -> None:
    base, state = youtube
    resp = await client.post(
        "/api/v1/channel-accounts",
        headers=world.auth("admin"),
        json={
            "brand_id": str(world.brand.id),
            "channel": "youtube",
            "name": "Acme channel",
            "queue_id": str(world.queue.id),
            "credentials": {"channel_id": OWN, "access_token": "ya29.token"},
        },
    )
    assert resp.status == 201, await resp.text()
    ctx["settings"] = ctx["settings"].model_copy(update={"youtube_api_url": base})
    thread = {
        "id": "Ugx1",
        "snippet": {"topLevelComment": _comment("Ugx1", "jane", "Is this decaf?", 10)},
        "replies": {
            "comments": [
                _comment("Ugx1.a", "acme", "Yes!", 8, "Ugx1", OWN),
                _comment("Ugx1.b", "jane", "Thanks, ordering now", 5, "Ugx1"),
            ]
        },
    }
    older = {"id": "Ugx0", "snippet": {"topLevelComment": _comment("Ugx0", "bob", "Old one", 60)}}
    state["pages"] = [[thread], [older]]
    assert await poll_youtube(ctx) == 3  # two of Jane's, Bob's; the channel's own reply is not
    rows = await pool.fetch("SELECT platform_message_id FROM messages ORDER BY sent_at")
    assert [r["platform_message_id"] for r in rows] == ["Ugx0", "Ugx1", "Ugx1.b"]
    calls = state["calls"]
    assert await poll_youtube(ctx) == 0  # nothing newer than the mark: the first page suffices
    assert state["calls"] == calls + 1

    state["quota"] = True
    assert await poll_youtube(ctx) == 0
    blocked = await pool.fetchval("SELECT blocked_until FROM poll_cursors")
    assert blocked > datetime.now(UTC)
    calls = state["calls"]
    assert await poll_youtube(ctx) == 0 and state["calls"] == calls  # waits for the quota

    tid = await pool.fetchval("SELECT ticket_id FROM messages WHERE platform_message_id = 'Ugx1.b'")
    conversation = await pool.fetchval(
        "SELECT platform_conversation_id FROM tickets WHERE id = $1", tid
    )
    assert conversation == "thread:Ugx1"
    reply = await (
        await client.post(
            f"/api/v1/tickets/{tid}/messages", json={"text": "Enjoy!"}, headers=world.auth("agent")
        )
    ).json()
    ctx["settings"] = ctx["settings"].model_copy(update={"youtube_api_url": fake.url})
    fake.script.append((200, {"id": "Ugx1.c", "snippet": {}}, {}, 0))
    assert await deliver(ctx, reply["id"]) == "sent"
    [request] = fake.requests
    assert request["path"] == "/youtube/v3/comments" and request["auth"] == "Bearer ya29.token"
    assert request["body"] == {"snippet": {"parentId": "Ugx1", "textOriginal": "Enjoy!"}}


async def test_a_failed_page_keeps_the_cursor(
    client: Client, world: World, pool: asyncpg.Pool, ctx: dict[str, Any], youtube: Any
) -> None:
    """Page 2 fails (an HTML 502): page 1 is stored, the cursor stays, and the next poll reads
    the older thread it had missed."""
    base, state = youtube
    await client.post(
        "/api/v1/channel-accounts",
        headers=world.auth("admin"),
        json={
            "brand_id": str(world.brand.id),
            "channel": "youtube",
            "name": "Acme channel",
            "queue_id": str(world.queue.id),
            "credentials": {"channel_id": OWN, "access_token": "t"},
        },
    )
    ctx["settings"] = ctx["settings"].model_copy(update={"youtube_api_url": base})
    new = {"id": "Ugx9", "snippet": {"topLevelComment": _comment("Ugx9", "ann", "New", 1)}}
    old = {"id": "Ugx8", "snippet": {"topLevelComment": _comment("Ugx8", "ben", "Older", 30)}}
    state["pages"], state["fail_page"] = [[new], [old]], 1
    assert await poll_youtube(ctx) == 1
    cursor = await pool.fetchrow("SELECT cursor, last_error FROM poll_cursors")
    assert cursor["cursor"] == {} and "502" in cursor["last_error"]
    state["fail_page"] = None
    assert await poll_youtube(ctx) == 1  # Ugx8 now; Ugx9 again is a duplicate
    stored = [
        r["platform_message_id"]
        for r in await pool.fetch(
            "SELECT platform_message_id FROM messages ORDER BY platform_message_id"
        )
    ]
    assert stored == ["Ugx8", "Ugx9"]


async def test_threads_with_more_replies_than_embedded_are_read_in_full(
    client: Client, world: World, pool: asyncpg.Pool, ctx: dict[str, Any], youtube: Any
) -> None:
    """commentThreads carries only some replies: with totalReplyCount higher, the poller reads
    the rest through comments.list?parentId= (paged)."""
    base, state = youtube
    await client.post("/api/v1/channel-accounts", headers=world.auth("admin"), json={
        "brand_id": str(world.brand.id), "channel": "youtube", "name": "Acme channel",
        "queue_id": str(world.queue.id), "credentials": {"channel_id": OWN, "access_token": "t"},
    })  # fmt: skip
    ctx["settings"] = ctx["settings"].model_copy(update={"youtube_api_url": base})
    every = [_comment(f"Ugx5.{i}", f"fan{i}", f"reply {i}", 9 - i, "Ugx5") for i in range(5)]
    thread = {"id": "Ugx5", "snippet": {"topLevelComment": _comment("Ugx5", "ann", "Q?", 10),
                                        "totalReplyCount": 5},
              "replies": {"comments": every[-2:]}}  # fmt: skip
    state["pages"], state["replies"] = [[thread]], {"Ugx5": every}
    assert await poll_youtube(ctx) == 6  # the question and all five replies
    stored = {r[0] for r in await pool.fetch("SELECT platform_message_id FROM messages")}
    assert stored == {"Ugx5", *(f"Ugx5.{i}" for i in range(5))}
