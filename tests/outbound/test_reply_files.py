"""Files in agents' replies: posted as multipart, stored with the message, sent in each
platform's documented shape (a link the platform fetches, or the bytes), refused up front where
the platform would refuse them, and fetchable only through the expiring link."""

from __future__ import annotations

import asyncio
import time
from email import message_from_bytes
from pathlib import Path
from typing import Any
from uuid import uuid4

import aiohttp
import asyncpg
import orjson
import pytest
from aiohttp.test_utils import TestClient

from contactcenter.actions.outbound import idempotency_key
from contactcenter.outbound.files import link
from contactcenter.settings import Settings
from tests.channels.test_every_channel import CASES, Case
from tests.channels.test_every_channel import _post as post_inbound
from tests.outbound.conftest import Fake, Relay
from tests.outbound.test_webchat import SITE, webchat_account
from tests.world import World
from workers.outbound import deliver

Client = TestClient[Any, Any]
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 400  # 100 KB: more than a webhook body may be
PDF = b"%PDF-1.4\n" + b"0123456789" * 500
TEXT = "Here is the label."


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    return settings.model_copy(update={"media_dir": tmp_path})


def form(text: str, *files: tuple[str, str, bytes]) -> aiohttp.FormData:
    data = aiohttp.FormData(default_to_multipart=True)
    if text:
        data.add_field("text", text)
    for name, mime, content in files:
        data.add_field("file", content, filename=name, content_type=mime)
    return data


async def ticket_on(client: Client, world: World, pool: asyncpg.Pool, channel: str,
                    extra: dict[str, str] | None = None) -> tuple[int, str, str]:  # fmt: skip
    """A customer's message on `channel` (signed as the platform signs): ticket id, its
    conversation on the platform, and the account id."""
    case: Case = next(c for c in CASES if c.channel == channel)
    resp = await client.post("/api/v1/channel-accounts", headers=world.auth("admin"), json={
        "brand_id": str(world.brand.id), "channel": channel, "name": f"{channel} {uuid4()}",
        "queue_id": str(world.queue.id), "credentials": case.credentials | (extra or {}),
    })  # fmt: skip
    assert resp.status == 201, await resp.text()
    account = (await resp.json())["id"]
    made = case.payload("17", int(time.time()) - 60, "Where is it?")
    await post_inbound(client, case, account, made)
    row = await pool.fetchrow(
        "SELECT id, platform_conversation_id FROM tickets WHERE channel_account_id = $1", account
    )
    return row["id"], row["platform_conversation_id"], account


async def links(pool: asyncpg.Pool, message_id: int, base: str) -> list[str]:
    rows = await pool.fetch("SELECT id, link_token FROM media WHERE message_id = $1 "
                            "ORDER BY position", message_id)  # fmt: skip
    return [link(base, r["id"], r["link_token"]) for r in rows]


def expected(channel: str, conv: str, urls: list[str], account: str, base: str,
             message_id: int) -> dict[str, Any]:  # fmt: skip
    """The request body each platform documents for a reply with a file."""
    urls = [*urls, "", ""]  # (every entry below is built; one or two are used)
    attachment = {"attachment": {"type": "image", "payload": {"url": urls[0],
                                                              "is_reusable": False}}}  # fmt: skip
    return {
        "whatsapp": {"messaging_product": "whatsapp", "recipient_type": "individual", "to": conv,
                     "type": "image", "image": {"link": urls[0], "caption": TEXT}},
        "messenger": {"recipient": {"id": conv}, "messaging_type": "RESPONSE",
                      "message": attachment},
        "instagram": {"recipient": {"id": conv}, "message": attachment},
        "line": {"to": conv, "messages": [
            {"type": "image", "originalContentUrl": urls[0], "previewImageUrl": urls[0]},
            {"type": "text", "text": TEXT}]},
        "viber": {"receiver": conv, "min_api_version": 1, "sender": {"name": "Support"},
                  "type": "file", "media": urls[0], "size": len(PDF), "file_name": "label.pdf"},
        "telegram": {"chat_id": conv, "caption": TEXT, "document": {
            "filename": "label.pdf", "content_type": "application/pdf", "data": PDF}},
        "twilio-sms": {"To": conv, "Body": TEXT, "From": "+14155550000", "MediaUrl": urls[:2],
                       "StatusCallback": f"{base}/webhooks/twilio-sms/{account}"},
        "api": {"id": idempotency_key(message_id), "conversation_id": conv, "text": TEXT,
                "reply_to": None, "attachments": [
                    {"url": urls[0], "name": "photo.png", "mime_type": "image/png",
                     "size": len(PNG)},
                    {"url": urls[1], "name": "label.pdf", "mime_type": "application/pdf",
                     "size": len(PDF)}]},
    }[channel]  # fmt: skip


# what each channel is given: its documented limits (one file; text or not)
SENT = {
    "whatsapp": (TEXT, [("photo.png", "image/png", PNG)]),
    "messenger": ("", [("photo.png", "image/png", PNG)]),
    "instagram": ("", [("photo.png", "image/png", PNG)]),
    "line": (TEXT, [("photo.png", "image/png", PNG)]),
    "viber": ("", [("label.pdf", "application/pdf", PDF)]),
    "telegram": (TEXT, [("label.pdf", "application/pdf", PDF)]),
    "twilio-sms": (TEXT, [("photo.png", "image/png", PNG), ("label.pdf", "application/pdf", PDF)]),
    "api": (TEXT, [("photo.png", "image/png", PNG), ("label.pdf", "application/pdf", PDF)]),
}


@pytest.mark.parametrize("channel", list(SENT))
async def test_a_reply_with_files_goes_out_in_the_platforms_shape(
    client: Client, world: World, pool: asyncpg.Pool, fake: Fake, ctx: dict[str, Any],
    channel: str,
) -> None:  # fmt: skip
    base = str(client.make_url("")).rstrip("/")
    ctx["settings"] = ctx["settings"].model_copy(update={"public_url": base})
    extra = {"callback_url": f"{fake.url}/cb"} if channel == "api" else None
    ticket, conv, account = await ticket_on(client, world, pool, channel, extra)
    text, files = SENT[channel]
    resp = await client.post(f"/api/v1/tickets/{ticket}/messages", data=form(text, *files),
                             headers=world.auth("agent"))  # fmt: skip
    assert resp.status == 202, await resp.text()
    posted = await resp.json()
    assert [(a["name"], a["mime_type"]) for a in posted["attachments"]] == [
        (name, mime) for name, mime, _ in files
    ]
    assert await deliver(ctx, posted["id"]) == "sent", await pool.fetchval(
        "SELECT delivery_error FROM messages WHERE id = $1", posted["id"]
    )
    [request] = fake.requests
    urls = await links(pool, posted["id"], base)
    assert request["body"] == expected(channel, conv, urls, account, base, posted["id"])
    async with aiohttp.ClientSession() as platform:  # the platform fetches each link, no sign-in
        for url, (_, mime, content) in zip(urls, files, strict=True):
            async with platform.get(url) as got:
                assert got.status == 200 and got.content_type == mime
                assert await got.read() == content
    assert await deliver(ctx, posted["id"]) == "skipped" and len(fake.requests) == 1


async def test_an_email_reply_carries_its_files_as_attachments(
    client: Client, world: World, pool: asyncpg.Pool, ctx: dict[str, Any],
    relay: tuple[Relay, int],
) -> None:  # fmt: skip
    keeper, port = relay
    smtp = {"smtp_host": "127.0.0.1", "smtp_port": str(port), "smtp_tls": "none"}
    ticket, _, _ = await ticket_on(client, world, pool, "email", smtp)
    files = [("photo.png", "image/png", PNG), ("label.pdf", "application/pdf", PDF)]
    posted = await (await client.post(f"/api/v1/tickets/{ticket}/messages",
                                      data=form(TEXT, *files), headers=world.auth("agent"))).json()  # fmt: skip
    assert await deliver(ctx, posted["id"]) == "sent"
    [(_, _, raw)] = keeper.mails
    mail = message_from_bytes(raw)
    parts = [p for p in mail.walk() if p.get_filename()]
    assert [
        (p.get_filename(), p.get_content_type(), p.get_payload(decode=True)) for p in parts
    ] == [(name, mime, content) for name, mime, content in files]
    body = next(p for p in mail.walk() if p.get_content_type() == "text/plain")
    assert body.get_payload(decode=True).decode().strip() == TEXT


async def test_a_web_chat_visitor_gets_the_files_live_and_in_the_history(
    client: Client, world: World, pool: asyncpg.Pool, ctx: dict[str, Any]
) -> None:
    account = await webchat_account(client, world)
    start = await client.post(f"/chat/{account}/conversations", json={"name": "Ines"},
                              headers={"Origin": SITE})  # fmt: skip
    token = (await start.json())["token"]
    auth = {"Authorization": f"Bearer {token}", "Origin": SITE}
    await client.post(f"/chat/{account}/messages", json={"text": "Invoice?", "id": "w1"},
                      headers=auth)  # fmt: skip
    ticket = await pool.fetchval("SELECT id FROM tickets")
    events = await client.get(f"/chat/{account}/events", params={"token": token})
    assert await events.content.readline() == b": connected\n"
    posted = await (await client.post(
        f"/api/v1/tickets/{ticket}/messages", headers=world.auth("agent"),
        data=form("Attached.", ("invoice.pdf", "application/pdf", PDF)),
    )).json()  # fmt: skip
    assert await deliver(ctx, posted["id"]) == "sent"
    data = b""
    async with asyncio.timeout(5):
        while not data.startswith(b"data:"):
            data = (await events.content.readline()).strip()
    events.close()
    pushed = orjson.loads(data[5:])
    [url] = await links(pool, posted["id"], "http://testserver")  # the client's public_url
    assert pushed["files"] == [{"url": url, "name": "invoice.pdf", "mime_type": "application/pdf"}]
    history = await (await client.get(f"/chat/{account}/messages", headers=auth)).json()
    assert history["items"][-1]["files"] == pushed["files"]
    got = await client.get(url.removeprefix("http://testserver"))
    assert got.status == 200 and await got.read() == PDF


async def test_files_a_platform_would_refuse_are_refused_at_once_and_nothing_is_kept(
    client: Client, world: World, pool: asyncpg.Pool, settings: Settings
) -> None:
    png = ("photo.png", "image/png", PNG)
    refused = {  # channel: (text, files, what the agent is told)
        "x": ("", [png], "X replies cannot carry files"),
        "facebook": ("", [png], "Facebook public replies cannot carry files"),
        "messenger": (TEXT, [png], "Messenger sends a file without text"),
        "whatsapp": ("", [png, png], "WhatsApp sends 1 file per message; this reply has 2"),
        "line": ("", [("label.pdf", "application/pdf", PDF)], "LINE sends only these files"),
        "telegram": ("x" * 1025, [png], "Telegram allows 1024 characters of text with a file"),
    }
    for channel, (text, files, why) in refused.items():
        ticket, _, _ = await ticket_on(client, world, pool, channel)
        resp = await client.post(f"/api/v1/tickets/{ticket}/messages", data=form(text, *files),
                                 headers=world.auth("agent"))  # fmt: skip
        error = (await resp.json())["error"]
        assert (resp.status, error["code"]) == (422, "channel_rule"), channel
        assert why in error["message"], (channel, error)
    audio = ("note.ogg", "audio/ogg", b"OggS" + bytes(500))
    ticket, _, _ = await ticket_on(client, world, pool, "whatsapp")
    resp = await client.post(f"/api/v1/tickets/{ticket}/messages", data=form(TEXT, audio),
                             headers=world.auth("agent"))  # fmt: skip
    assert resp.status == 422  # WhatsApp audio has no caption
    assert await pool.fetchval("SELECT count(*) FROM messages WHERE direction = 'outbound'") == 0
    assert await pool.fetchval("SELECT count(*) FROM media") == 0
    assert not any(settings.media_dir.rglob("*"))  # refused before anything was stored


async def test_limits_on_size_type_and_count(
    client: Client, world: World, pool: asyncpg.Pool, settings: Settings
) -> None:
    ticket, _, _ = await ticket_on(client, world, pool, "twilio-sms")
    url, auth = f"/api/v1/tickets/{ticket}/messages", world.auth("agent")
    big = ("big.pdf", "application/pdf", bytes(settings.media_max_bytes + 1))
    cases = [
        (form(TEXT, big), 413, "CC_MEDIA_MAX_BYTES"),
        (form("", ("run.exe", "application/x-msdownload", b"MZ")), 415, "not accepted"),
        (form("", *[("p.png", "image/png", PNG)] * 11), 400, "At most 10 files"),
        (form("", ("empty.pdf", "application/pdf", b"")), 400, "is empty"),
        (form("  "), 400, "Send a text, a file, or both"),
    ]
    for data, status, why in cases:
        resp = await client.post(url, data=data, headers=auth)
        body = await resp.json()
        assert resp.status == status and why in body["error"]["message"], body
    assert await pool.fetchval("SELECT count(*) FROM media") == 0
    assert not any(settings.media_dir.rglob("*"))


async def test_a_note_keeps_its_file_for_the_team_only(
    client: Client, world: World, pool: asyncpg.Pool
) -> None:
    ticket, _, _ = await ticket_on(client, world, pool, "x")
    await pool.execute("UPDATE tickets SET queue_id = $1", world.queue_b.id)  # team B's queue
    photo = ("p.png", "image/png", PNG)
    resp = await client.post(f"/api/v1/tickets/{ticket}/notes", headers=world.auth("agent_b"),
                             data=form("Customer's photo", photo))  # fmt: skip
    assert resp.status == 201  # X replies carry no files; a note may
    note = await resp.json()
    row = await pool.fetchrow("SELECT id, link_token FROM media WHERE message_id = $1", note["id"])
    assert row["link_token"] is None  # never reachable without signing in
    [attachment] = note["attachments"]
    assert attachment["url"] == f"/api/v1/media/{row['id']}" and attachment["kind"] == "image"
    got = await client.get(attachment["url"], headers=world.auth("agent_b"))
    assert got.status == 200 and await got.read() == PNG
    other = await client.get(attachment["url"], headers=world.auth("agent"))
    assert other.status == 403  # team A's agent may not open team B's ticket, nor its files
    resp = await client.post(f"/api/v1/tickets/{ticket}/notes", headers=world.auth("agent"),
                             data=form("mine", photo))  # fmt: skip
    assert resp.status == 403
    assert await pool.fetchval("SELECT count(*) FROM media") == 1


async def test_the_link_needs_its_token_and_expires(
    client: Client, world: World, pool: asyncpg.Pool
) -> None:
    ticket, _, _ = await ticket_on(client, world, pool, "whatsapp")
    posted = await (await client.post(f"/api/v1/tickets/{ticket}/messages",
                                      data=form("", ("p.png", "image/png", PNG)),
                                      headers=world.auth("agent"))).json()  # fmt: skip
    row = await pool.fetchrow("SELECT id, link_token FROM media WHERE message_id = $1",
                              posted["id"])  # fmt: skip
    good = f"/files/{row['id']}/{row['link_token']}"
    got = await client.get(good)
    assert got.status == 200 and await got.read() == PNG
    assert "sandbox" in got.headers["Content-Security-Policy"]
    for bad in (f"/files/{row['id']}/{'A' * 32}", f"/files/{row['id'] + 1}/{row['link_token']}"):
        resp = await client.get(bad)
        assert resp.status == 404 and (await resp.json())["error"]["code"] == "not_found"
    await pool.execute("UPDATE media SET link_until = now() - interval '1 second'")
    expired = await client.get(good)
    assert expired.status == 404 and "expired" in (await expired.json())["error"]["message"]
