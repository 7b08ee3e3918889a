"""A web chat visitor's files: sent as multipart with the message, stored once (a resend is a
duplicate), moved into the media store by the worker, opened by agents; limits refused with
CORS headers so the widget can show why."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from contactcenter.api import webchat_files
from contactcenter.settings import Settings
from contactcenter.store import ingest as ingest_store
from tests.outbound.test_webchat import SITE, webchat_account
from tests.world import World
from workers.media import fetch_media

Client = TestClient[Any, Any]
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 100


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    return settings.model_copy(update={"media_dir": tmp_path, "webchat_max_bytes": 100_000})


def form(text: str, message_id: str, *files: tuple[str, str, bytes]) -> aiohttp.FormData:
    data = aiohttp.FormData(default_to_multipart=True, quote_fields=False)
    if text:
        data.add_field("text", text)
    data.add_field("id", message_id)
    for name, mime, content in files:
        data.add_field("file", content, filename=name, content_type=mime)
    return data


async def _visitor(
    client: Client, world: World, account: str | None = None, name: str = "Site chat"
) -> tuple[str, dict[str, str]]:
    """A visitor (on `account`, else on a new chat account named `name`) and their headers."""
    account = account or await webchat_account(client, world, name)
    start = await client.post(f"/chat/{account}/conversations", json={"name": "Ines"},
                              headers={"Origin": SITE})  # fmt: skip
    token = (await start.json())["token"]
    return account, {"Authorization": f"Bearer {token}", "Origin": SITE}


async def test_a_visitor_sends_a_screenshot(
    client: Client, world: World, pool: asyncpg.Pool, ctx: dict[str, Any]
) -> None:
    account, auth = await _visitor(client, world)
    url = f"/chat/{account}/messages"
    sent = await client.post(url, data=form("It breaks here", "w1", ("shot.png", "image/png", PNG)),
                             headers=auth)  # fmt: skip
    assert sent.status == 201 and sent.headers["Access-Control-Allow-Origin"] == SITE
    again = await client.post(url, data=form("It breaks here", "w1", ("shot.png", "image/png", PNG)),
                              headers=auth)  # fmt: skip
    assert (await again.json())["duplicates"] == 1  # the widget's resend: stored once
    row = await pool.fetchrow("SELECT id, ticket_id, text, attachments FROM messages")
    assert row["text"] == "It breaks here"
    assert row["attachments"] == [{"kind": "image", "platform_media_id": "upload:0",
                                   "mime_type": "image/png", "name": "shot.png",
                                   "size": len(PNG)}]  # fmt: skip
    assert await pool.fetchval("SELECT count(*) FROM inline_media") == 1
    assert await fetch_media(ctx) == {"stored": 1}
    assert await pool.fetchval("SELECT count(*) FROM inline_media") == 0  # moved to the store
    shown = await (await client.get(f"/api/v1/tickets/{row['ticket_id']}/messages",
                                    headers=world.auth("agent"))).json()  # fmt: skip
    [attachment] = shown["items"][0]["attachments"]
    got = await client.get(attachment["url"], headers=world.auth("agent"))
    assert got.status == 200 and await got.read() == PNG
    history = await (await client.get(url, headers=auth)).json()
    assert history["items"][0]["files"] == [
        {"url": None, "name": "shot.png", "mime_type": "image/png"}
    ]  # the visitor sees their file named; it is not served back to the site


async def test_a_file_alone_is_a_message_of_its_kind(
    client: Client, world: World, pool: asyncpg.Pool
) -> None:
    account, auth = await _visitor(client, world)
    sent = await client.post(f"/chat/{account}/messages",
                             data=form("", "w2", ("invoice.pdf", "application/pdf", b"%PDF-1")),
                             headers=auth)  # fmt: skip
    assert sent.status == 201
    assert await pool.fetchval("SELECT kind FROM messages") == "document"


async def test_a_visitors_files_are_limited_and_refusals_reach_the_widget(
    client: Client, world: World, pool: asyncpg.Pool, settings: Settings
) -> None:
    account, auth = await _visitor(client, world)
    url = f"/chat/{account}/messages"
    cases = [
        (form("", "w3", ("big.png", "image/png", PNG * 4)), 413, "CC_WEBCHAT_MAX_BYTES"),
        (form("", "w4", ("x.exe", "application/x-msdownload", b"MZ")), 415, "not accepted"),
        (form("", "w5"), 400, "Send a text, a file, or both"),
    ]
    for data, status, why in cases:
        resp = await client.post(url, data=data, headers=auth)
        body = await resp.json()
        assert resp.status == status and why in body["error"]["message"], body
        assert resp.headers["Access-Control-Allow-Origin"] == SITE  # the widget can read why
    stranger = await client.post(url, data=form("hi", "w6", ("shot.png", "image/png", PNG)),
                                 headers=auth | {"Origin": "https://evil.example"})  # fmt: skip
    assert stranger.status == 403
    assert await pool.fetchval("SELECT count(*) FROM messages") == 0
    assert await pool.fetchval("SELECT count(*) FROM inline_media") == 0
    assert not any(settings.media_dir.rglob("*"))


async def test_a_message_and_its_files_are_stored_together_or_not_at_all(
    client: Client, world: World, pool: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bytes go in the message's transaction: if they cannot be written, the message is
    not stored either, and the widget's resend (same id) stores both."""
    account, auth = await _visitor(client, world)
    real = ingest_store.save_inline
    calls = 0

    async def failing_once(conn: Any, rows: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("disk full")
        await real(conn, rows)

    monkeypatch.setattr(ingest_store, "save_inline", failing_once)
    url = f"/chat/{account}/messages"
    failed = await client.post(url, data=form("see", "w7", ("shot.png", "image/png", PNG)),
                               headers=auth)  # fmt: skip
    assert failed.status == 500 and failed.headers["Access-Control-Allow-Origin"] == SITE
    assert await pool.fetchval("SELECT count(*) FROM messages") == 0
    resent = await client.post(url, data=form("see", "w7", ("shot.png", "image/png", PNG)),
                               headers=auth)  # fmt: skip
    assert resent.status == 201 and (await resent.json())["stored"] == 1
    assert await pool.fetchval("SELECT count(*) FROM inline_media") == 1


async def test_files_can_be_switched_off_and_are_throttled(
    client: Client, world: World, pool: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(webchat_files, "FILES_PER_VISITOR", 2)
    account, auth = await _visitor(client, world)
    url = f"/chat/{account}/messages"
    for n in (1, 2):
        ok = await client.post(url, data=form("", f"t{n}", ("a.png", "image/png", PNG)),
                               headers=auth)  # fmt: skip
        assert ok.status == 201
    third = await client.post(url, data=form("", "t3", ("a.png", "image/png", PNG)), headers=auth)
    assert third.status == 429 and third.headers["Access-Control-Allow-Origin"] == SITE
    assert (await third.json())["error"]["code"] == "rate_limited"
    text = await client.post(url, json={"text": "still here", "id": "t4"}, headers=auth)
    assert text.status == 201  # text is not throttled

    for setting, who in (("off", "visitors"), ("verified", "anonymous visitors")):
        other = await webchat_account(client, world, f"chat {setting}", visitor_files=setting)
        start = await client.post(f"/chat/{other}/conversations", json={},
                                  headers={"Origin": SITE})  # fmt: skip
        token = (await start.json())["token"]
        refused = await client.post(
            f"/chat/{other}/messages",
            data=form("", "v1", ("a.png", "image/png", PNG)),
            headers={"Authorization": f"Bearer {token}", "Origin": SITE},
        )
        assert refused.status == 403
        assert f"does not take files from {who}" in (await refused.json())["error"]["message"]
    assert await pool.fetchval("SELECT count(*) FROM inline_media") == 2


async def test_messages_are_bounded_per_visitor_and_address_of_each_chat(
    client: Client, world: World, pool: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A script posting without end is stopped (429, with CORS so the widget can say so);
    another visitor on the same address still writes until the address's bound, and that
    address still writes to another brand's chat."""
    monkeypatch.setattr(webchat_files, "MESSAGES_PER_VISITOR", 3)
    monkeypatch.setattr(webchat_files, "MESSAGES_PER_ADDRESS", 6)  # refused ones count too
    account, auth = await _visitor(client, world)
    url = f"/chat/{account}/messages"
    for n in range(3):
        assert (await client.post(url, json={"text": f"m{n}"}, headers=auth)).status == 201
    refused = await client.post(url, json={"text": "m3"}, headers=auth)
    assert refused.status == 429 and refused.headers["Access-Control-Allow-Origin"] == SITE
    assert "Too many messages" in (await refused.json())["error"]["message"]
    _, other = await _visitor(client, world, account)  # a second visitor, same address
    assert (await client.post(url, json={"text": "o1"}, headers=other)).status == 201
    assert (await client.post(url, json={"text": "o2"}, headers=other)).status == 201
    assert (await client.post(url, json={"text": "o3"}, headers=other)).status == 429  # address
    second, elsewhere = await _visitor(client, world, name="Other brand")  # its own counts
    assert (await client.post(f"/chat/{second}/messages", json={"text": "x"},
                              headers=elsewhere)).status == 201  # fmt: skip
    assert await pool.fetchval("SELECT count(*) FROM messages") == 6
