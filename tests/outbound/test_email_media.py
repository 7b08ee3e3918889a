"""E-mail attachments: the parts arrive with the message (SMTP, Mailgun's files, SendGrid's raw
MIME), are stored with it in one transaction (once, however often the mail is redelivered), and
the media worker moves them into the media store, from where agents download them."""

from __future__ import annotations

import hashlib
import hmac
import time
from pathlib import Path
from typing import Any

import aiosmtplib
import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from contactcenter.settings import Settings
from tests.helpers import fixture
from tests.outbound.test_email import smtp_client  # noqa: F401 - the web process with SMTP on
from tests.world import World
from workers.media import fetch_media

Client = TestClient[Any, Any]
PDF = b"%PDF-1.4\n"  # the base64 part of html_only.eml


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    return settings.model_copy(update={"media_dir": tmp_path})


async def _account(client: Client, world: World, **creds: str) -> str:
    resp = await client.post("/api/v1/channel-accounts", headers=world.auth("admin"), json={
        "brand_id": str(world.brand.id), "channel": "email", "name": "Support mail",
        "queue_id": str(world.queue.id), "credentials": {"address": "support@acme.test"} | creds,
    })  # fmt: skip
    assert resp.status == 201, await resp.text()
    return str((await resp.json())["id"])


async def test_an_smtp_attachment_is_stored_once_and_served(
    smtp_client: tuple[Client, int], world: World, pool: asyncpg.Pool,  # noqa: F811
    ctx: dict[str, Any], settings: Settings, tmp_path: Path,
) -> None:  # fmt: skip
    client, port = smtp_client
    await _account(client, world)
    smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=port)
    await smtp.connect()
    for _ in range(2):  # the sender's server retries after a lost 250: the same Message-ID
        await smtp.sendmail(
            "shop@example.net", ["support@acme.test"], fixture("email/html_only.eml")
        )
    await smtp.quit()
    assert await pool.fetchval("SELECT count(*) FROM messages") == 1
    assert await pool.fetchval("SELECT count(*) FROM inline_media") == 1

    ctx["settings"] = settings
    assert await fetch_media(ctx) == {"stored": 1}
    assert await pool.fetchval("SELECT count(*) FROM inline_media") == 0  # moved, not copied
    row = await pool.fetchrow("SELECT id, name, mime_type, size FROM media")
    assert (row["name"], row["mime_type"], row["size"]) == ("screen.pdf", "application/pdf", 9)
    resp = await client.get(f"/api/v1/media/{row['id']}", headers=world.auth("agent"))
    assert resp.status == 200 and await resp.read() == PDF
    assert len(list(tmp_path.rglob("*"))) > 0


async def test_mailgun_files_and_the_type_limit(
    client: Client, world: World, pool: asyncpg.Pool, ctx: dict[str, Any], settings: Settings
) -> None:
    """Mailgun without body-mime posts the attachments as files (attachment-1, …); a type the
    brand does not allow is refused with the reason, and its bytes leave the database."""
    account = await _account(client, world, mailgun_signing_key="mg-key")
    ts, token = str(int(time.time())), "b" * 50
    sig = hmac.new(b"mg-key", (ts + token).encode(), hashlib.sha256).hexdigest()
    fields = {"timestamp": ts, "token": token, "signature": sig, "from": "a@example.org",
              "subject": "Invoice", "Message-Id": "<mg-files@example.org>",
              "body-plain": "See attached."}  # fmt: skip
    parts = b"".join(f'--F\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
                     for k, v in fields.items())  # fmt: skip
    parts += (b'--F\r\nContent-Disposition: form-data; name="attachment-1"; filename="a.png"\r\n'
              b"Content-Type: image/png\r\n\r\n\x89PNG-bytes\r\n"
              b'--F\r\nContent-Disposition: form-data; name="attachment-2"; filename="run.exe"\r\n'
              b"Content-Type: application/x-msdownload\r\n\r\nMZ\r\n--F--\r\n")  # fmt: skip
    resp = await client.post(f"/webhooks/email/{account}", data=parts,
                             headers={"Content-Type": "multipart/form-data; boundary=F"})  # fmt: skip
    assert resp.status == 200 and (await resp.json())["stored"] == 1
    ctx["settings"] = settings.model_copy(update={"media_types": "image/*"})
    assert await fetch_media(ctx) == {"stored": 1, "refused": 1}
    rows = await pool.fetch("SELECT name, status, error FROM media ORDER BY position")
    assert [(r["name"], r["status"]) for r in rows] == [("a.png", "stored"), ("run.exe", "refused")]
    assert rows[1]["error"] == "type application/x-msdownload is not allowed"
    assert await pool.fetchval("SELECT count(*) FROM inline_media") == 0
    assert await pool.fetchval("SELECT text FROM messages") == "Invoice\n\nSee attached."
