"""Slack end to end: the signed url_verification handshake over HTTP, a DM and a thread in,
Slack's retry stored once, replies out through chat.postMessage (into the thread), Slack's
`ok: false` errors, and a shared file fetched with the bot token."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from contactcenter.channels.slack import signature
from contactcenter.settings import Settings
from tests.helpers import fixture
from tests.outbound.conftest import Fake
from tests.world import World
from workers.media import fetch_media
from workers.outbound import deliver

Client = TestClient[Any, Any]
SECRET = "slack-signing-secret"
JPEG = b"\xff\xd8\xff\xe0" + b"s" * 100


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    return settings.model_copy(update={"media_dir": tmp_path})


async def _account(client: Client, world: World) -> str:
    resp = await client.post("/api/v1/channel-accounts", headers=world.auth("admin"), json={
        "brand_id": str(world.brand.id), "channel": "slack", "name": "Acme Slack",
        "queue_id": str(world.queue.id),
        "credentials": {"signing_secret": SECRET, "bot_token": "xoxb-acme", "team_id": "T0001"},
    })  # fmt: skip
    assert resp.status == 201, await resp.text()
    return str((await resp.json())["id"])


async def _post(client: Client, account: str, body: bytes, retry: int | None = None) -> Any:
    stamp = str(int(time.time()))
    headers = {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature(SECRET, stamp, body),
               "Content-Type": "application/json"}  # fmt: skip
    if retry is not None:
        headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
    return await client.post(f"/webhooks/slack/{account}", data=body, headers=headers)


async def _reply(client: Client, world: World, ticket_id: int, text: str) -> int:
    resp = await client.post(f"/api/v1/tickets/{ticket_id}/messages", json={"text": text},
                             headers=world.auth("agent"))  # fmt: skip
    return int((await resp.json())["id"])


async def test_slack_handshake_dm_thread_and_replies(
    client: Client, world: World, pool: asyncpg.Pool, fake: Fake, ctx: dict[str, Any]
) -> None:
    account = await _account(client, world)
    challenge = await _post(client, account, fixture("slack/url_verification.json"))
    assert challenge.status == 200
    assert await challenge.text() == "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    forged = await client.post(f"/webhooks/slack/{account}", data=fixture("slack/dm_with_file.json"),
                               headers={"X-Slack-Request-Timestamp": str(int(time.time())),
                                        "X-Slack-Signature": "v0=" + "0" * 64})  # fmt: skip
    assert forged.status == 401 and (await forged.json())["error"]["code"] == "bad_signature"
    assert await pool.fetchval("SELECT count(*) FROM messages") == 0

    first = await _post(client, account, fixture("slack/dm_with_file.json"))
    assert (await first.json())["stored"] == 1
    again = await _post(client, account, fixture("slack/dm_with_file.json"), retry=1)
    assert (await again.json())["duplicates"] == 1  # Slack's retry after a slow answer
    assert (await (await _post(client, account, fixture("slack/thread_reply.json"))).json())[
        "stored"
    ] == 1
    dm_ticket, thread_ticket = [r["id"] for r in await pool.fetch(
        "SELECT id FROM tickets ORDER BY platform_conversation_id DESC")]  # fmt: skip

    assert await deliver(ctx, await _reply(client, world, dm_ticket, "Sending someone.")) == "sent"
    assert await deliver(ctx, await _reply(client, world, thread_ticket, "Fixed!")) == "sent"
    dm, thread = fake.requests
    assert (dm["path"], dm["auth"], dm["body"]) == (
        "/api/chat.postMessage", "Bearer xoxb-acme",
        {"channel": "D024BE91L", "text": "Sending someone."})  # fmt: skip
    assert thread["body"] == {"channel": "C0SHARED", "text": "Fixed!",
                              "thread_ts": "1764460600.000100"}  # fmt: skip
    ids = await pool.fetch("SELECT platform_message_id FROM messages WHERE direction = 'outbound'")
    assert sorted(r["platform_message_id"] for r in ids) == [
        "C0SHARED:1764461000.000002", "D024BE91L:1764461000.000001"]  # fmt: skip


async def test_slack_errors_arrive_as_http_200_with_ok_false(
    client: Client, world: World, pool: asyncpg.Pool, fake: Fake, ctx: dict[str, Any]
) -> None:
    account = await _account(client, world)
    await _post(client, account, fixture("slack/thread_reply.json"))
    tid = await pool.fetchval("SELECT id FROM tickets")
    fake.script.append((200, {"ok": False, "error": "ratelimited"}, {"Retry-After": "3"}, 0))
    retried = await _reply(client, world, tid, "one")
    assert await deliver(ctx, retried) == "retry"
    fake.script.append((200, {"ok": False, "error": "not_in_channel"}, {}, 0))
    failed = await _reply(client, world, tid, "two")
    assert await deliver(ctx, failed) == "failed"
    row = await pool.fetchrow("SELECT delivery_status, delivery_error FROM messages WHERE id = $1",
                              failed)  # fmt: skip
    assert row["delivery_status"] == "failed"
    assert row["delivery_error"] == (
        "Slack error: not_in_channel (invite the app to the channel (/invite @app))"
    )


@pytest.fixture
async def files() -> Any:
    async def private(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != "Bearer xoxb-acme":
            return web.Response(status=302, headers={"Location": "/signin"})
        return web.Response(body=JPEG, content_type="image/jpeg")

    app = web.Application()
    app.router.add_get("/files-pri/{rest:.+}", private)
    async with TestServer(app) as server:
        yield str(server.make_url("")).rstrip("/")


async def test_a_shared_file_is_fetched_with_the_bot_token(
    client: Client, world: World, pool: asyncpg.Pool, ctx: dict[str, Any], files: str,
    settings: Settings, tmp_path: Path,
) -> None:  # fmt: skip
    account = await _account(client, world)
    await _post(client, account, fixture("slack/dm_with_file.json"))
    ctx["settings"] = settings.model_copy(update={"slack_files_url": files, "media_dir": tmp_path})
    assert await fetch_media(ctx) == {"stored": 1}
    assert await pool.fetchval("SELECT size FROM media") == len(JPEG)


async def test_files_go_by_slacks_external_upload_into_the_thread(
    client: Client, world: World, pool: asyncpg.Pool, fake: Fake, ctx: dict[str, Any],
    tmp_path: Path,
) -> None:  # fmt: skip
    """getUploadURLExternal per file (name, length), the bytes to the URL Slack gives, then one
    completeUploadExternal sharing both in the thread with the text as the message."""
    assert ctx["settings"].media_dir == tmp_path  # the worker reads what the app stored
    account = await _account(client, world)
    await _post(client, account, fixture("slack/thread_reply.json"))
    tid = await pool.fetchval("SELECT id FROM tickets")
    form = aiohttp.FormData(default_to_multipart=True, quote_fields=False)
    form.add_field("text", "Both logs attached")
    form.add_field("file", JPEG, filename="screen.jpg", content_type="image/jpeg")
    form.add_field("file", b"line 1\nline 2\n", filename="app.log", content_type="text/plain")
    resp = await client.post(f"/api/v1/tickets/{tid}/messages", data=form,
                             headers=world.auth("agent"))  # fmt: skip
    assert resp.status == 202, await resp.text()
    assert await deliver(ctx, (await resp.json())["id"]) == "sent"
    ask1, put1, ask2, put2, share = fake.requests
    assert (ask1["path"], ask1["auth"], ask1["body"]) == (
        "/api/files.getUploadURLExternal", "Bearer xoxb-acme",
        {"filename": "screen.jpg", "length": str(len(JPEG))})  # fmt: skip
    assert (put1["path"], put1["body"]) == ("/upload/v1/U1", {"bytes": JPEG})
    assert ask2["body"] == {"filename": "app.log", "length": "14"}
    assert put2["body"] == {"bytes": b"line 1\nline 2\n"}
    assert (share["path"], share["auth"], share["body"]) == (
        "/api/files.completeUploadExternal", "Bearer xoxb-acme",
        {"files": [{"id": "F0001", "title": "screen.jpg"}, {"id": "F0003", "title": "app.log"}],
         "channel_id": "C0SHARED", "thread_ts": "1764460600.000100",
         "initial_comment": "Both logs attached"})  # fmt: skip
    pid = await pool.fetchval(
        "SELECT platform_message_id FROM messages WHERE direction = 'outbound'"
    )
    assert pid == "C0SHARED:file:F0001"
