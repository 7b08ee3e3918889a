"""Media in an S3-compatible bucket: requests signed with AWS Signature Version 4 (checked
against AWS's published example), attachments written there by the worker and read back for
agents; a store that fails leaves the attachment pending for the next attempt."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from contactcenter.media.s3 import EMPTY_SHA256, sign
from contactcenter.settings import Settings
from tests.helpers import fixture, post_whatsapp
from tests.outbound.test_media import JPEG, graph  # noqa: F401 - the fake WhatsApp media API
from tests.world import World
from workers.media import fetch_media

Client = TestClient[Any, Any]
ACCESS, SECRET = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def test_signature_matches_aws_published_example() -> None:
    """AWS's 'GET Object' example of Signature Version 4 (s3 API reference,
    sig-v4-header-based-auth): the same request must give the same signature."""
    headers = sign("GET", "https://examplebucket.s3.amazonaws.com/test.txt",
                   {"Range": "bytes=0-9"}, EMPTY_SHA256, ACCESS, SECRET, "us-east-1",
                   datetime(2013, 5, 24, tzinfo=UTC))  # fmt: skip
    assert headers["Authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
    )


@pytest.fixture
async def s3() -> Any:
    """A bucket that checks each request's signature and payload hash, keeping what is PUT."""
    objects: dict[str, tuple[bytes, str]] = {}
    state: dict[str, Any] = {"fail": False, "puts_left": None}

    def check(request: web.Request, body: bytes) -> None:
        assert request.headers["x-amz-content-sha256"] == hashlib.sha256(body).hexdigest()
        stamp = datetime.strptime(request.headers["x-amz-date"] + "+0000", "%Y%m%dT%H%M%SZ%z")
        extra = {"content-type": request.headers["Content-Type"]} if body else {}
        expect = sign(request.method, str(request.url), extra, hashlib.sha256(body).hexdigest(),
                      ACCESS, SECRET, "eu-central-1", stamp)  # fmt: skip
        assert request.headers["Authorization"] == expect["Authorization"]

    async def put(request: web.Request) -> web.Response:
        if state["puts_left"] is not None:
            state["fail"] = state["puts_left"] <= 0
            state["puts_left"] -= 1
        if state["fail"]:
            return web.Response(status=503, text="<Error><Code>SlowDown</Code></Error>")
        body = await request.read()
        check(request, body)
        objects[request.match_info["key"]] = (body, request.headers["Content-Type"])
        return web.Response()

    async def get(request: web.Request) -> web.Response:
        check(request, b"")
        if request.match_info["key"] not in objects:
            return web.Response(status=404)
        return web.Response(body=objects[request.match_info["key"]][0])

    async def delete(request: web.Request) -> web.Response:
        check(request, b"")
        objects.pop(request.match_info["key"], None)
        return web.Response(status=204)

    app = web.Application()
    app.router.add_delete("/media-bucket/{key:.+}", delete)
    app.router.add_put("/media-bucket/{key:.+}", put)
    app.router.add_get("/media-bucket/{key:.+}", get)
    async with TestServer(app) as server:
        yield str(server.make_url("")).rstrip("/"), objects, state


@pytest.fixture
def settings(settings: Settings, s3: Any, tmp_path: Path) -> Settings:
    return settings.model_copy(update={
        "media_dir": tmp_path, "media_s3_bucket": "media-bucket", "media_s3_endpoint": s3[0],
        "media_s3_region": "eu-central-1", "media_s3_access_key": ACCESS,
        "media_s3_secret_key": SecretStr(SECRET), "media_types": "image/*,application/pdf",
    })  # fmt: skip


@pytest.fixture
def worker_ctx(ctx: dict[str, Any], settings: Settings, graph: Any) -> dict[str, Any]:  # noqa: F811
    ctx["settings"] = settings.model_copy(update={"graph_api_url": f"{graph[0]}/v21.0"})
    return ctx


async def test_attachments_go_to_the_bucket_and_come_back(
    client: Client, world: World, pool: asyncpg.Pool, worker_ctx: dict[str, Any], s3: Any,
    tmp_path: Path,
) -> None:  # fmt: skip
    _, objects, _ = s3
    await post_whatsapp(client, world, fixture("whatsapp/image_reply.json"))
    assert await fetch_media(worker_ctx) == {"stored": 2}
    keys = await pool.fetch("SELECT storage_key, mime_type FROM media ORDER BY position")
    assert sorted(objects) == sorted(r["storage_key"] for r in keys)
    assert objects[keys[0]["storage_key"]] == (JPEG, "image/jpeg")
    assert list(tmp_path.iterdir()) == []  # nothing on the local disk
    media_id = await pool.fetchval("SELECT min(id) FROM media")
    resp = await client.get(f"/api/v1/media/{media_id}", headers=world.auth("agent"))
    assert resp.status == 200 and await resp.read() == JPEG
    assert resp.headers["Content-Type"] == "image/jpeg"


async def test_a_failing_bucket_leaves_the_attachment_for_later(
    client: Client, world: World, pool: asyncpg.Pool, worker_ctx: dict[str, Any], s3: Any
) -> None:
    s3[2]["fail"] = True
    await post_whatsapp(client, world, fixture("whatsapp/image_reply.json"))
    assert await fetch_media(worker_ctx) == {"failed": 2}
    rows = await pool.fetch("SELECT status, attempts, error FROM media")
    assert {(r["status"], r["attempts"]) for r in rows} == {("pending", 1)}
    assert all("media store" in r["error"] and "503" in r["error"] for r in rows)


def test_a_bucket_without_credentials_is_refused_at_start(settings: Settings) -> None:
    with pytest.raises(ValueError, match="CC_MEDIA_S3_SECRET_KEY"):
        Settings(**(settings.model_dump() | {"media_s3_secret_key": None}))


async def test_a_reply_whose_second_file_the_bucket_refuses_leaves_nothing_behind(
    client: Client, world: World, pool: asyncpg.Pool, s3: Any
) -> None:
    _, objects, state = s3
    await post_whatsapp(client, world, fixture("whatsapp/text.json"))
    await pool.execute("UPDATE tickets SET last_inbound_at = now()")
    ticket = await pool.fetchval("SELECT id FROM tickets")
    form = aiohttp.FormData()
    form.add_field("text", "Both labels")
    form.add_field("file", b"%PDF-1 one", filename="one.pdf", content_type="application/pdf")
    form.add_field("file", b"%PDF-1 two", filename="two.pdf", content_type="application/pdf")
    state["puts_left"] = 1  # the first PUT is taken, the second answered 503
    resp = await client.post(f"/api/v1/tickets/{ticket}/notes", data=form,
                             headers=world.auth("agent"))  # fmt: skip
    assert resp.status == 503 and "two.pdf" in (await resp.json())["error"]["message"]
    assert objects == {}  # the first file was deleted again
    assert await pool.fetchval("SELECT count(*) FROM messages WHERE direction = 'note'") == 0
