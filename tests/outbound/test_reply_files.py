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

from contactcenter.actions import media as media_actions
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
    data = aiohttp.FormData(default_to_multipart=True, quote_fields=False)  # as browsers send
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
    rows = await pool.fetch("SELECT id, link_token, name, mime_type FROM media "
                            "WHERE message_id = $1 ORDER BY position", message_id)  # fmt: skip
    return [link(base, r["id"], r["link_token"], r["name"], r["mime_type"]) for r in rows]


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
    big_png = ("big.png", "image/png", PNG * 52)  # 5.1 MB
    pdf = ("label.pdf", "application/pdf", PDF)
    refused = {  # channel: (text, files, what the agent is told)
        "x": ("", [pdf], "X does not take application/pdf files (label.pdf)"),
        "facebook": ("", [png], "Facebook public replies cannot carry files"),
        "messenger": (TEXT, [png], "Messenger sends this file without text"),
        "whatsapp": ("", [png, png], "WhatsApp sends 1 file per message; this reply has 2"),
        "line": ("", [pdf], "LINE does not take application/pdf files (label.pdf)"),
        "telegram": ("x" * 1025, [png], "Telegram allows 1024 characters of text with a file"),
        "viber": ("", [big_png], "big.png is 5.1 MB; Viber takes pictures up to 1 MB"),
        "instagram": ("", [("notes.txt", "text/plain", b"hi")],
                      "Instagram does not take text/plain files"),
    }  # fmt: skip
    for channel, (text, files, why) in refused.items():
        ticket, _, _ = await ticket_on(client, world, pool, channel)
        resp = await client.post(f"/api/v1/tickets/{ticket}/messages", data=form(text, *files),
                                 headers=world.auth("agent"))  # fmt: skip
        error = (await resp.json())["error"]
        assert (resp.status, error["code"]) == (422, "channel_rule"), channel
        assert why in error["message"], (channel, error)
    ticket, _, _ = await ticket_on(client, world, pool, "whatsapp")
    audio = ("note.ogg", "audio/ogg", b"OggS" + bytes(500))
    for text, files, why in [
        (TEXT, [audio], "WhatsApp sends this file without text"),  # audio has no caption
        ("", [big_png], "big.png is 5.1 MB; WhatsApp takes pictures up to 5 MB"),
    ]:
        resp = await client.post(f"/api/v1/tickets/{ticket}/messages", data=form(text, *files),
                                 headers=world.auth("agent"))  # fmt: skip
        assert resp.status == 422 and why in (await resp.json())["error"]["message"]
    # a Twilio number that sends WhatsApp: WhatsApp's rules, one file per message
    ticket, _, _ = await ticket_on(client, world, pool, "twilio-sms",
                                   {"from_number": "whatsapp:+14155550000"})  # fmt: skip
    resp = await client.post(f"/api/v1/tickets/{ticket}/messages", data=form("", png, pdf),
                             headers=world.auth("agent"))  # fmt: skip
    assert "WhatsApp through Twilio sends 1 file per message" in (await resp.json())["error"][
        "message"]  # fmt: skip
    assert await pool.fetchval("SELECT count(*) FROM messages WHERE direction = 'outbound'") == 0
    assert await pool.fetchval("SELECT count(*) FROM media") == 0
    assert not any(settings.media_dir.rglob("*"))  # refused before anything was stored


async def test_a_reply_the_ticket_refuses_stores_no_file(
    client: Client, world: World, pool: asyncpg.Pool, settings: Settings
) -> None:
    """WhatsApp's window closed, the ticket closed: refused before any file is written."""
    ticket, _, _ = await ticket_on(client, world, pool, "whatsapp")
    url = f"/api/v1/tickets/{ticket}/messages"
    await pool.execute("UPDATE tickets SET last_inbound_at = now() - interval '2 days'")
    resp = await client.post(url, data=form("", ("p.png", "image/png", PNG)),
                             headers=world.auth("agent"))  # fmt: skip
    assert (resp.status, (await resp.json())["error"]["code"]) == (409, "window_closed")
    await pool.execute("UPDATE tickets SET status = 'closed', last_inbound_at = now()")
    resp = await client.post(url, data=form("", ("p.png", "image/png", PNG)),
                             headers=world.auth("agent"))  # fmt: skip
    assert resp.status == 409 and "closed" in (await resp.json())["error"]["message"]
    assert await pool.fetchval("SELECT count(*) FROM media") == 0
    assert not any(settings.media_dir.rglob("*"))


async def test_limits_on_size_type_and_count(
    client: Client, world: World, pool: asyncpg.Pool, settings: Settings
) -> None:
    ticket, _, _ = await ticket_on(client, world, pool, "twilio-sms")
    url, auth = f"/api/v1/tickets/{ticket}/messages", world.auth("agent")
    big = ("big.pdf", "application/pdf", bytes(settings.media_max_bytes + 1))
    huge = ("huge.pdf", "application/pdf", bytes(settings.media_max_bytes + 2 * 1024 * 1024))
    two_texts = form("one")
    two_texts.add_field("text", "two")
    cases = [
        (form(TEXT, big), 413, "CC_MEDIA_MAX_BYTES"),  # found while reading
        (form(TEXT, huge), 413, "CC_MEDIA_MAX_BYTES"),  # refused by its length, unread
        (form("", ("x.png", "image/png,text/html", PNG)), 415, "not accepted"),
        (two_texts, 400, "one `text` field"),
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
    assert resp.status == 201
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
                                      data=form("", ("Etikett für Ü", "image/png", PNG)),
                                      headers=world.auth("agent"))).json()  # fmt: skip
    row = await pool.fetchrow("SELECT id, link_token, name, mime_type FROM media "
                              "WHERE message_id = $1", posted["id"])  # fmt: skip
    url = link("http://testserver", row["id"], row["link_token"], row["name"], row["mime_type"])
    good = url.removeprefix("http://testserver")
    # the file's name, with an extension for its type (Viber wants one), ends the link
    assert good == f"/files/{row['id']}/{row['link_token']}/Etikett%20f%C3%BCr%20%C3%9C.png"
    got = await client.get(good)
    assert got.status == 200 and await got.read() == PNG
    assert "sandbox" in got.headers["Content-Security-Policy"]
    assert got.headers["Content-Disposition"] == (
        "inline; filename=\"Etikett f_r _\"; filename*=UTF-8''Etikett%20f%C3%BCr%20%C3%9C"
    )
    head = await client.head(good)  # platforms look before they fetch
    assert head.status == 200 and head.headers["Content-Length"] == str(len(PNG))
    assert head.headers["Content-Type"] == "image/png"
    base = f"/files/{row['id']}"
    for bad in (f"{base}/{'A' * 32}/x.png", f"/files/{row['id'] + 1}/{row['link_token']}/x.png"):
        resp = await client.get(bad)
        assert resp.status == 404 and (await resp.json())["error"]["code"] == "not_found"
    await pool.execute("UPDATE media SET link_until = now() - interval '1 second'")
    expired = await client.get(good)
    assert expired.status == 404 and "expired" in (await expired.json())["error"]["message"]


async def test_a_file_gone_from_the_store_fails_the_reply_with_the_reason(
    client: Client, world: World, pool: asyncpg.Pool, ctx: dict[str, Any], settings: Settings,
    fake: Fake,
) -> None:  # fmt: skip
    ticket, _, _ = await ticket_on(client, world, pool, "telegram")  # uploads the bytes
    posted = await (await client.post(f"/api/v1/tickets/{ticket}/messages",
                                      data=form("", ("my label ü.pdf", "application/pdf", PDF)),
                                      headers=world.auth("agent"))).json()  # fmt: skip
    ctx["settings"] = ctx["settings"].model_copy(update={"media_dir": settings.media_dir})
    key = await pool.fetchval("SELECT storage_key FROM media")
    moved = settings.media_dir / "aside"
    (settings.media_dir / key).rename(moved)
    assert await deliver(ctx, posted["id"]) == "failed"
    error = await pool.fetchval("SELECT delivery_error FROM messages WHERE id = $1", posted["id"])
    assert error == "A file of this reply is no longer in the media store; send it again."
    assert fake.requests == []
    moved.rename(settings.media_dir / key)  # the same file, once more: its name as written
    again = await (await client.post(f"/api/v1/tickets/{ticket}/messages",
                                     data=form("", ("my label ü.pdf", "application/pdf", PDF)),
                                     headers=world.auth("agent"))).json()  # fmt: skip
    assert await deliver(ctx, again["id"]) == "sent"
    assert fake.requests[0]["body"]["document"]["filename"] == "my label ü.pdf"


async def test_a_broken_multipart_body_is_a_400(
    client: Client, world: World, pool: asyncpg.Pool
) -> None:
    ticket, _, _ = await ticket_on(client, world, pool, "whatsapp")
    body = (b"--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n"
            b"Content-Type image/png\r\n\r\nxx\r\n--B--\r\n")  # fmt: skip
    resp = await client.post(f"/api/v1/tickets/{ticket}/messages", data=body, headers={
        "Content-Type": "multipart/form-data; boundary=B", **world.auth("agent")})  # fmt: skip
    assert resp.status == 400 and (await resp.json())["error"]["code"] == "bad_request"
    assert await pool.fetchval("SELECT count(*) FROM messages WHERE direction = 'outbound'") == 0


async def test_agents_files_do_not_hide_customers_attachments_from_discovery(
    client: Client, world: World, pool: asyncpg.Pool, fake: Fake
) -> None:
    """Discovery looks at messages newer than the newest it has seen (minus an overlap); an
    agent's file, stored at once with a much newer message, must not count as seen."""
    ticket, _, _ = await ticket_on(client, world, pool, "whatsapp")
    photo = {"mime_type": "image/jpeg", "platform_media_id": "1037543291543636", "kind": "image"}
    inbound = await pool.fetchval(
        "INSERT INTO messages (brand_id, ticket_id, channel_account_id, direction, text, "
        "attachments, sender_kind, sent_at) SELECT brand_id, id, channel_account_id, 'inbound', "
        "'', $2::jsonb, 'contact', now() FROM tickets WHERE id = $1 RETURNING id",
        ticket, [photo],
    )  # fmt: skip
    await pool.execute("SELECT setval(pg_get_serial_sequence('messages', 'id'), $1)",
                       inbound + 5000)  # fmt: skip
    resp = await client.post(f"/api/v1/tickets/{ticket}/messages",
                             data=form("", ("p.png", "image/png", PNG)), headers=world.auth("agent"))  # fmt: skip
    assert resp.status == 202
    async with pool.acquire() as conn:
        await media_actions.do_discover(conn)
    assert await pool.fetchval("SELECT status FROM media WHERE message_id = $1", inbound) == (
        "pending"
    )


async def test_a_file_gone_from_the_store_is_a_404_not_a_retry(
    client: Client, world: World, pool: asyncpg.Pool, settings: Settings
) -> None:
    ticket, _, _ = await ticket_on(client, world, pool, "whatsapp")
    posted = await (await client.post(f"/api/v1/tickets/{ticket}/messages",
                                      data=form("", ("p.png", "image/png", PNG)),
                                      headers=world.auth("agent"))).json()  # fmt: skip
    row = await pool.fetchrow("SELECT id, link_token, storage_key FROM media")
    (settings.media_dir / row["storage_key"]).unlink()
    for url, headers in ((f"/files/{row['id']}/{row['link_token']}/p.png", {}),
                         (f"/api/v1/media/{row['id']}", world.auth("agent"))):  # fmt: skip
        resp = await client.get(url, headers=headers)
        assert resp.status == 404, url
        assert "no longer in the media store" in (await resp.json())["error"]["message"]
    assert posted["attachments"][0]["name"] == "p.png"
