"""E-mail end to end over real local sockets: our SMTP receiver takes a customer's mail, the
agent's reply leaves through SMTP threaded into the customer's conversation; Mailgun in."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import AsyncIterator
from email import message_from_bytes
from typing import Any
from urllib.parse import urlencode

import aiosmtplib
import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from contactcenter.app import create_app
from contactcenter.embedded import free_port
from contactcenter.settings import Settings
from tests.helpers import fixture
from tests.outbound.conftest import Relay
from tests.world import World
from workers.outbound import deliver

Client = TestClient[Any, Any]


@pytest.fixture
async def smtp_client(settings: Settings, world: World) -> AsyncIterator[tuple[Client, int]]:
    port = free_port()
    app = create_app(settings.model_copy(update={"smtp_port": port}))
    async with TestClient(TestServer(app)) as client:
        yield client, port


async def test_mail_in_by_smtp_reply_out_threaded(
    smtp_client: tuple[Client, int], world: World, pool: asyncpg.Pool, ctx: dict[str, Any],
    relay: tuple[Relay, int],
) -> None:  # fmt: skip
    client, smtp_port = smtp_client
    keeper, relay_port = relay
    resp = await client.post("/api/v1/channel-accounts", headers=world.auth("admin"), json={
        "brand_id": str(world.brand.id), "channel": "email", "name": "Support mail",
        "queue_id": str(world.queue.id),
        "credentials": {"address": "support@acme.test", "from_name": "Acme Support",
                        "smtp_host": "127.0.0.1", "smtp_port": str(relay_port), "smtp_tls": "none"},
    })  # fmt: skip
    assert resp.status == 201, await resp.text()

    smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=smtp_port)
    await smtp.connect()
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused):  # not one of our addresses: 550
        await smtp.sendmail("ines.berger@example.org", ["nobody@acme.test"], b"Subject: x\r\n\r\nx")
    await smtp.sendmail(
        "ines.berger@example.org", ["support@acme.test"], fixture("email/reply.eml")
    )
    await smtp.sendmail(
        "ines.berger@example.org", ["support@acme.test"], fixture("email/autoreply.eml")
    )
    await smtp.quit()
    [message] = await pool.fetch("SELECT ticket_id, text, platform_message_id FROM messages")
    assert message["platform_message_id"] == "CAF=abc123@mail.example.org"
    assert message["text"].endswith("Could you check again?\n\nInes")  # the quote is gone

    reply = await (await client.post(f"/api/v1/tickets/{message['ticket_id']}/messages",
                                     json={"text": "We resent it today."},
                                     headers=world.auth("agent"))).json()  # fmt: skip
    assert await deliver(ctx, reply["id"]) == "sent"
    [(sender, recipients, raw)] = keeper.mails
    assert (sender, recipients) == ("support@acme.test", ["ines.berger@example.org"])
    mail = message_from_bytes(raw)
    assert mail["Subject"] == "Re: Your order 17"
    assert mail["In-Reply-To"] == "<CAF=abc123@mail.example.org>"
    references = " ".join(mail["References"].split())  # long headers are folded
    assert references == (
        "<order-17@acme.test> <cc-reply-1@acme.test> <CAF=abc123@mail.example.org>"
    )
    assert mail["From"] == "Acme Support <support@acme.test>"
    assert mail.get_payload(decode=True).decode().strip() == "We resent it today."
    pid = await pool.fetchval("SELECT platform_message_id FROM messages WHERE id = $1", reply["id"])
    assert f"<{pid}>" == mail["Message-ID"]

    # Their client answers ours keeping only In-Reply-To (no References): same conversation.
    answer = (f"From: ines.berger@example.org\r\nTo: support@acme.test\r\nSubject: Re: x\r\n"
              f"Message-ID: <answer-2@mail.example.org>\r\nIn-Reply-To: <{pid}>\r\n\r\n"
              "Got it, thanks!\r\n").encode()  # fmt: skip
    smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=smtp_port)
    await smtp.connect()
    await smtp.sendmail("ines.berger@example.org", ["support@acme.test"], answer)
    await smtp.quit()
    tickets = await pool.fetch("SELECT DISTINCT ticket_id FROM messages")
    assert [r["ticket_id"] for r in tickets] == [message["ticket_id"]]


async def test_mailgun_route_in(client: Client, world: World, pool: asyncpg.Pool) -> None:
    resp = await client.post("/api/v1/channel-accounts", headers=world.auth("admin"), json={
        "brand_id": str(world.brand.id), "channel": "email", "name": "Mailgun",
        "queue_id": str(world.queue.id),
        "credentials": {"address": "help@acme.test", "mailgun_signing_key": "mg-key"},
    })  # fmt: skip
    account = (await resp.json())["id"]
    ts, token = str(int(time.time())), "a" * 50
    sig = hmac.new(b"mg-key", (ts + token).encode(), hashlib.sha256).hexdigest()
    fields = {"timestamp": ts, "token": token, "signature": sig,
              "body-mime": fixture("email/reply.eml").decode()}  # fmt: skip
    ok = await client.post(f"/webhooks/email/{account}", data=urlencode(fields),
                           headers={"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert ok.status == 200 and (await ok.json())["stored"] == 1
    forged = await client.post(f"/webhooks/email/{account}", data=urlencode(fields | {"signature": "0" * 64}),
                               headers={"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert forged.status == 401
    assert await pool.fetchval("SELECT count(*) FROM messages") == 1


async def test_sendgrid_inbound_parse(client: Client, world: World, pool: asyncpg.Pool) -> None:
    """SendGrid posts multipart with the raw message; its URL carries the account's secret."""
    resp = await client.post("/api/v1/channel-accounts", headers=world.auth("admin"), json={
        "brand_id": str(world.brand.id), "channel": "email", "name": "SendGrid",
        "queue_id": str(world.queue.id),
        "credentials": {"address": "hello@acme.test", "sendgrid_secret": "sg-secret"},
    })  # fmt: skip
    account = (await resp.json())["id"]
    body = (b'--B\r\nContent-Disposition: form-data; name="to"\r\n\r\nhello@acme.test\r\n'
            b'--B\r\nContent-Disposition: form-data; name="email"\r\n\r\n'
            + fixture("email/html_only.eml") + b"\r\n--B--\r\n")  # fmt: skip
    headers = {"Content-Type": "multipart/form-data; boundary=B"}
    wrong = await client.post(f"/webhooks/email/{account}?key=nope", data=body, headers=headers)
    assert wrong.status == 401
    ok = await client.post(f"/webhooks/email/{account}?key=sg-secret", data=body, headers=headers)
    assert ok.status == 200 and (await ok.json())["stored"] == 1
    text = await pool.fetchval("SELECT text FROM messages")
    assert text.startswith("Broken link\n\nHello")


async def test_each_email_thread_is_its_own_ticket(
    client: Client, world: World, pool: asyncpg.Pool
) -> None:
    """Two new e-mails from one customer are two tickets; a reply in the first thread (its
    References name the first mail) joins the first."""
    resp = await client.post("/api/v1/channel-accounts", headers=world.auth("admin"), json={
        "brand_id": str(world.brand.id), "channel": "email", "name": "Mail",
        "queue_id": str(world.queue.id),
        "credentials": {"address": "help@acme.test", "sendgrid_secret": "sg"},
    })  # fmt: skip
    account = (await resp.json())["id"]

    async def mail(message_id: str, subject: str, refs: str = "") -> None:
        head = f"References: {refs}\r\nIn-Reply-To: {refs.split()[-1]}\r\n" if refs else ""
        raw = (f"From: ines@example.org\r\nTo: help@acme.test\r\nSubject: {subject}\r\n"
               f"Message-ID: {message_id}\r\n{head}\r\nHello\r\n")  # fmt: skip
        body = (b'--B\r\nContent-Disposition: form-data; name="email"\r\n\r\n' + raw.encode()
                + b"\r\n--B--\r\n")  # fmt: skip
        ok = await client.post(f"/webhooks/email/{account}?key=sg", data=body,
                               headers={"Content-Type": "multipart/form-data; boundary=B"})  # fmt: skip
        assert ok.status == 200

    await mail("<a1@example.org>", "Invoice")
    await mail("<b1@example.org>", "Address change")
    await mail("<a2@example.org>", "Re: Invoice", refs="<a1@example.org> <cc-1@acme.test>")
    rows = await pool.fetch(
        "SELECT t.platform_conversation_id AS conv, count(m.id) AS n FROM tickets t "
        "JOIN messages m ON m.ticket_id = t.id GROUP BY t.id ORDER BY t.id"
    )
    assert [(r["conv"], r["n"]) for r in rows] == [("a1@example.org", 2), ("b1@example.org", 1)]


async def test_an_email_is_stored_whole_or_not_at_all(
    client: Client, world: World, pool: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The message, its thread facts and attachment bytes commit together: when a later step
    fails, nothing stays behind that a redelivery would take for a duplicate."""
    from contactcenter.actions import ingest
    from contactcenter.channels.email import batch_of
    from contactcenter.channels.email_mime import parse
    from contactcenter.store import ingest as ingest_store

    resp = await client.post("/api/v1/channel-accounts", headers=world.auth("admin"), json={
        "brand_id": str(world.brand.id), "channel": "email", "name": "Mail",
        "queue_id": str(world.queue.id), "credentials": {"address": "help@acme.test"},
    })  # fmt: skip
    from contactcenter import keys

    account = await client.server.app[keys.ACCOUNTS].get((await resp.json())["id"])

    async def broken(*_: Any) -> None:
        raise asyncpg.DataError("the thread row failed")

    monkeypatch.setattr(ingest_store, "save_threads", broken)
    unit = ingest.IngestUnit(account, batch_of(parse(fixture("email/reply.eml"))))
    async with pool.acquire() as conn:
        with pytest.raises(asyncpg.DataError):
            await ingest.do_ingest(conn, [unit], 3600)
    assert await pool.fetchval("SELECT count(*) FROM messages") == 0
    monkeypatch.undo()
    async with pool.acquire() as conn:
        outcomes, _ = await ingest.do_ingest(conn, [unit], 3600)
    assert outcomes[0].stored == 1  # the redelivery stores it, thread and all
    assert await pool.fetchval("SELECT count(*) FROM email_threads") == 1
