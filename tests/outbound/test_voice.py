"""Twilio Voice from the first webhook to the callback ticket, with signed requests."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from contactcenter.channels.twilio_sms import signature
from contactcenter.settings import Settings
from tests.routing.staffing import closed_now
from tests.world import World

Client = TestClient[Any, Any]
TOKEN = "voice-token"
CALL = {"CallSid": "CA0001", "AccountSid": "AC9", "From": "+4930123456", "To": "+4930999000",
        "CallStatus": "ringing", "Direction": "inbound", "CallerName": "Ines Berger"}  # fmt: skip


async def _post(client: Client, path: str, fields: dict[str, str], token: str = TOKEN) -> Any:
    return await client.post(path, data=urlencode(fields), headers={
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": signature(token, "http://testserver" + path, list(fields.items())),
    })  # fmt: skip


async def _account(client: Client, world: World, **extra: str) -> str:
    resp = await client.post("/api/v1/channel-accounts", headers=world.auth("admin"), json={
        "brand_id": str(world.brand.id), "channel": "twilio-voice", "name": "Hotline",
        "queue_id": str(world.queue.id),
        "credentials": {"account_sid": "AC9", "auth_token": TOKEN} | extra,
    })  # fmt: skip
    assert resp.status == 201, await resp.text()
    account: str = (await resp.json())["id"]
    return account


async def _notes(pool: asyncpg.Pool) -> list[str]:
    rows = await pool.fetch("SELECT kind FROM messages WHERE direction = 'note' ORDER BY id")
    return [r["kind"] for r in rows]


async def test_call_waits_then_voicemail_and_callback(
    client: Client, world: World, pool: asyncpg.Pool
) -> None:
    account = await _account(client, world, max_wait_s="60")
    base = f"/voice/{account}"
    resp = await _post(client, f"{base}/incoming", CALL)
    assert resp.status == 200 and resp.content_type == "text/xml"
    xml = await resp.text()
    assert f'<Enqueue action="http://testserver{base}/queue-result"' in xml
    assert f'waitUrl="http://testserver{base}/hold"' in xml
    ticket = await pool.fetchrow("SELECT t.id, t.kind, c.name FROM tickets t "
                                 "JOIN contacts c ON c.id = t.contact_id")  # fmt: skip
    assert (ticket["kind"], ticket["name"]) == ("voice", "Ines Berger")
    assert (await _post(client, f"{base}/incoming", CALL)).status == 200  # a retry: one ticket
    assert await pool.fetchval("SELECT count(*) FROM messages") == 1

    hold = await (await _post(client, f"{base}/hold", CALL | {"QueueTime": "20",
                                                              "QueuePosition": "2"})).text()  # fmt: skip
    assert "number 2 in line" in hold and "<Leave/>" not in hold
    assert (
        "<Leave/>" in await (await _post(client, f"{base}/hold", CALL | {"QueueTime": "61"})).text()
    )
    left = await (await _post(client, f"{base}/queue-result",
                              CALL | {"QueueResult": "leave", "QueueTime": "61"})).text()  # fmt: skip
    assert f'<Record action="http://testserver{base}/voicemail"' in left
    done = await (await _post(client, f"{base}/voicemail", CALL | {
        "RecordingUrl": "https://api.twilio.com/2010-04-01/Accounts/AC9/Recordings/RE1",
        "RecordingDuration": "14", "RecordingSid": "RE1"})).text()  # fmt: skip
    assert "<Hangup/>" in done
    assert await _notes(pool) == ["call.left_queue", "call.voicemail"]
    row = await pool.fetchrow("SELECT tags, status FROM tickets")
    assert row["tags"] == ["callback", "voicemail"] and row["status"] == "new"  # waits for an agent
    voicemail = await pool.fetchval(
        "SELECT attachments FROM messages WHERE kind = 'call.voicemail'"
    )
    assert voicemail[0]["url"].endswith("/Recordings/RE1")


async def test_abandoned_and_answered_calls(
    client: Client, world: World, pool: asyncpg.Pool
) -> None:
    account = await _account(client, world)
    base = f"/voice/{account}"
    await _post(client, f"{base}/incoming", CALL)
    await _post(client, f"{base}/queue-result", CALL | {"QueueResult": "hangup", "QueueTime": "35"})
    assert await pool.fetchval("SELECT tags FROM tickets") == ["abandoned", "callback"]
    second = CALL | {"CallSid": "CA0002", "From": "+4930777777"}
    await _post(client, f"{base}/incoming", second)
    await pool.execute("UPDATE tickets SET assignee_id = $1, routing = 'assigned' "
                       "WHERE id = (SELECT max(id) FROM tickets)", world.agent.id)  # it was offered  # fmt: skip
    await _post(
        client, f"{base}/queue-result", second | {"QueueResult": "bridged", "QueueTime": "8"}
    )
    await _post(
        client, f"{base}/status", second | {"CallStatus": "completed", "CallDuration": "312"}
    )
    texts = [r["text"] for r in await pool.fetch(
        "SELECT text FROM messages WHERE direction = 'note' ORDER BY id")]  # fmt: skip
    assert texts == ["The caller hung up after 35 s in the queue: call them back.",
                     "Answered by Agent after 8 s in the queue.", "Call completed after 312 s."]  # fmt: skip


async def test_forged_and_closed(client: Client, world: World, pool: asyncpg.Pool) -> None:
    account = await _account(client, world)
    forged = await _post(client, f"/voice/{account}/incoming", CALL, token="wrong")
    assert forged.status == 401 and await pool.fetchval("SELECT count(*) FROM tickets") == 0
    resp = await client.patch(f"/api/v1/queues/{world.queue.id}", json={"hours": closed_now()},
                              headers=world.auth("admin"))  # fmt: skip
    assert resp.status == 200
    xml = await (await _post(client, f"/voice/{account}/incoming", CALL)).text()
    assert "We are closed right now." in xml and "<Record" in xml and "<Enqueue" not in xml


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    """The web process and the worker share the media store: a fresh directory per test."""
    return settings.model_copy(update={"media_dir": tmp_path})


async def test_a_voicemail_recording_is_fetched_into_the_media_store(
    client: Client, world: World, pool: asyncpg.Pool, ctx: dict[str, Any]
) -> None:
    """Twilio's recording URL needs the account's Basic auth: the worker fetches it like any
    attachment, and agents play it from our store."""
    import base64

    from aiohttp import web
    from aiohttp.test_utils import TestServer

    from workers.media import fetch_media

    wav = b"RIFF" + b"\x00" * 400
    expected = "Basic " + base64.b64encode(f"AC9:{TOKEN}".encode()).decode()

    async def recording(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != expected:
            return web.Response(status=401)
        return web.Response(body=wav, content_type="audio/x-wav")

    app = web.Application()
    app.router.add_get("/2010-04-01/Accounts/AC9/Recordings/{sid}", recording)
    async with TestServer(app) as twilio:
        account = await _account(client, world)
        base = f"/voice/{account}"
        await _post(client, f"{base}/incoming", CALL)
        url = str(twilio.make_url("/2010-04-01/Accounts/AC9/Recordings/RE7"))
        await _post(client, f"{base}/voicemail", CALL | {"RecordingUrl": url,
                    "RecordingDuration": "9", "RecordingSid": "RE7"})  # fmt: skip
        ctx["settings"] = ctx["settings"].model_copy(update={"media_types": "audio/*"})
        assert await fetch_media(ctx) == {"stored": 1}
    media_id = await pool.fetchval("SELECT id FROM media")
    tid = await pool.fetchval("SELECT id FROM tickets")
    page = await (await client.get(f"/api/v1/tickets/{tid}/messages",
                                   headers=world.auth("agent"))).json()  # fmt: skip
    [urls] = [[a["url"] for a in m["attachments"]] for m in page["items"] if m["attachments"]]
    assert urls == [f"/api/v1/media/{media_id}"]
    played = await client.get(urls[0], headers=world.auth("agent"))
    assert played.status == 200 and await played.read() == wav
