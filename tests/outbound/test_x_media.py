"""X's DM media: downloaded from ton.twitter.com with an OAuth 1.0a user signature that the
fake checks the way X does; an account without OAuth 1.0a credentials is told what to set."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from contactcenter.oauth1 import oauth1_signature
from contactcenter.settings import Settings
from tests.helpers import fixture
from tests.outbound.test_x import SECRET, _post
from tests.world import World
from workers.media import fetch_media

Client = TestClient[Any, Any]
PHOTO = b"\xff\xd8\xff\xe0" + b"x" * 300
OAUTH1 = {"consumer_key": "xkey", "oauth1_token": "123-tok", "oauth1_token_secret": "tsecret"}


@pytest.fixture
async def ton() -> Any:
    seen: list[str] = []

    async def media(request: web.Request) -> web.Response:
        header = request.headers.get("Authorization", "")
        fields = {k: unquote(v) for k, v in re.findall(r'(\w+)="([^"]*)"', header)}
        given = fields.pop("oauth_signature", "")
        expected = oauth1_signature("GET", str(request.url.with_query(None)),
                                    dict(request.query) | fields, SECRET, "tsecret")  # fmt: skip
        if (
            not header.startswith("OAuth ")
            or given != expected
            or fields["oauth_token"] != "123-tok"
        ):
            return web.json_response({"errors": [{"code": 32}]}, status=401)
        seen.append(request.path)
        return web.Response(body=PHOTO, content_type="image/jpeg")

    app = web.Application()
    app.router.add_get("/1.1/ton/data/dm/{rest:.+}", media)
    async with TestServer(app) as server:
        yield str(server.make_url("")).rstrip("/"), seen


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    return settings.model_copy(update={"media_dir": tmp_path})


async def _account(client: Client, world: World, **extra: str) -> str:
    resp = await client.post("/api/v1/channel-accounts", headers=world.auth("admin"), json={
        "brand_id": str(world.brand.id), "channel": "x", "name": "@acme",
        "queue_id": str(world.queue.id),
        "credentials": {"consumer_secret": SECRET, "user_id": "2244994945",
                        "access_token": "XTOKEN"} | extra,
    })  # fmt: skip
    assert resp.status == 201, await resp.text()
    return str((await resp.json())["id"])


async def test_dm_photo_is_fetched_with_oauth1(
    client: Client, world: World, pool: asyncpg.Pool, ctx: dict[str, Any], ton: Any,
    settings: Settings,
) -> None:  # fmt: skip
    base, seen = ton
    account = await _account(client, world, **OAUTH1)
    assert (await _post(client, account, fixture("x/dm.json")))["stored"] == 1
    ctx["settings"] = settings.model_copy(update={"x_ton_url": base, "media_types": "image/*"})
    assert await fetch_media(ctx) == {"stored": 1}
    assert seen == ["/1.1/ton/data/dm/1/2/photo.jpg"]
    media_id = await pool.fetchval("SELECT id FROM media")
    resp = await client.get(f"/api/v1/media/{media_id}", headers=world.auth("agent"))
    assert resp.status == 200 and await resp.read() == PHOTO


async def test_without_oauth1_credentials_the_reason_is_recorded(
    client: Client, world: World, pool: asyncpg.Pool, ctx: dict[str, Any], ton: Any,
    settings: Settings,
) -> None:  # fmt: skip
    account = await _account(client, world)
    await _post(client, account, fixture("x/dm.json"))
    ctx["settings"] = settings.model_copy(update={"x_ton_url": ton[0]})
    assert await fetch_media(ctx) == {"refused": 1}
    error = await pool.fetchval("SELECT error FROM media")
    assert "oauth1_token" in error and ton[1] == []


async def test_a_wrong_token_secret_is_rejected_by_the_fake(
    client: Client, world: World, pool: asyncpg.Pool, ctx: dict[str, Any], ton: Any,
    settings: Settings,
) -> None:  # fmt: skip
    """The fake really checks the signature: a wrong secret gets X's 401, and the attachment
    is refused with the platform's status (not retried forever)."""
    account = await _account(client, world, **(OAUTH1 | {"oauth1_token_secret": "wrong"}))
    await _post(client, account, fixture("x/dm.json"))
    ctx["settings"] = settings.model_copy(update={"x_ton_url": ton[0]})
    assert await fetch_media(ctx) == {"refused": 1}
    assert await pool.fetchval("SELECT error FROM media") == "the platform answered HTTP 401"
