"""Attachment URLs that come in a payload (Messenger, Instagram, Viber, the API channel): fetched
end to end when they may be reached, never into our own network — not when checked, not through
a redirect, and not when the name resolves inward only after the check (DNS rebinding)."""

from __future__ import annotations

import hashlib
import hmac
import socket
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import orjson
import pydantic
import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.test_utils import TestClient, TestServer

from contactcenter.media.fetch import Limits, download
from contactcenter.media.outside import Outside
from contactcenter.settings import Settings
from tests.world import World
from workers.media import fetch_media

Client = TestClient[Any, Any]
JPEG = b"\xff\xd8\xff\xe0" + b"7" * 3000
SECRET = "fb-app-secret"
LIMITS = Limits(10_000, ("image/*",))


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    return settings.model_copy(update={"media_dir": tmp_path})


@pytest.fixture
async def cdn() -> Any:
    """A file host on 127.0.0.1 (like Meta's CDN, but in our network); it logs every request."""
    seen: list[str] = []

    async def photo(request: web.Request) -> web.Response:
        seen.append(request.path)
        return web.Response(body=JPEG, content_type="image/jpeg")

    app = web.Application()
    app.router.add_get("/{name}", photo)
    async with TestServer(app, host="127.0.0.1") as server:
        yield server.port, seen


async def _messenger_image(client: Client, world: World, account: str, mid: str, url: str) -> None:
    body = orjson.dumps({"object": "page", "entry": [{"id": "107000000000001", "time": 1, "messaging": [
        {"sender": {"id": "6650000000000001"}, "recipient": {"id": "107000000000001"},
         "timestamp": 1764460801000,
         "message": {"mid": mid, "attachments": [{"type": "image", "payload": {"url": url}}]}}]}]})  # fmt: skip
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    resp = await client.post(f"/webhooks/messenger/{account}", data=body,
                             headers={"X-Hub-Signature-256": signature,
                                      "Content-Type": "application/json"})  # fmt: skip
    assert (resp.status, (await resp.json())["stored"]) == (200, 1)


async def test_a_messenger_image_is_fetched_only_where_allowed(
    client: Client, world: World, pool: asyncpg.Pool, ctx: dict[str, Any], cdn: Any
) -> None:
    """By default a payload URL on 127.0.0.1 is refused with the way to allow it, and the host
    never hears of it; with CC_MEDIA_ALLOWED_NETWORKS covering it, the image is stored and an
    agent gets the same bytes."""
    port, seen = cdn
    resp = await client.post("/api/v1/channel-accounts", headers=world.auth("admin"), json={
        "brand_id": str(world.brand.id), "channel": "messenger", "name": "Page",
        "queue_id": str(world.queue.id), "credentials": {
            "app_secret": SECRET, "verify_token": "vt", "page_id": "107000000000001",
            "page_access_token": "EAAPtoken"}})  # fmt: skip
    account = (await resp.json())["id"]
    await _messenger_image(client, world, account, "m_inside", f"http://127.0.0.1:{port}/a.jpg")
    ctx["settings"] = ctx["settings"].model_copy(update={"media_types": "image/*"})
    assert await fetch_media(ctx) == {"refused": 1}
    error = await pool.fetchval("SELECT error FROM media")
    assert error == ("127.0.0.1 is not a public address "
                     "(CC_MEDIA_ALLOWED_NETWORKS can allow a private network)")  # fmt: skip
    assert seen == []

    await _messenger_image(client, world, account, "m_allowed", f"http://127.0.0.1:{port}/b.jpg")
    ctx["settings"] = ctx["settings"].model_copy(update={"media_allowed_networks": "127.0.0.0/8"})
    assert await fetch_media(ctx) == {"stored": 1}
    assert seen == ["/b.jpg"]
    media_id = await pool.fetchval("SELECT id FROM media WHERE status = 'stored'")
    got = await client.get(f"/api/v1/media/{media_id}", headers=world.auth("agent"))
    assert (got.status, await got.read()) == (200, JPEG)


class Rebinding(AbstractResolver):
    """A name that answers a public address first and 127.0.0.1 on every later lookup."""

    def __init__(self) -> None:
        self.lookups = 0

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.lookups += 1
        address = "93.184.216.34" if self.lookups == 1 else "127.0.0.1"
        return [{"hostname": host, "host": address, "port": port, "family": socket.AF_INET,
                 "proto": 0, "flags": 0}]  # fmt: skip

    async def close(self) -> None:
        pass


async def test_a_name_that_turns_inward_after_the_check_never_connects(cdn: Any) -> None:
    port, seen = cdn
    url = f"http://files.example.test:{port}/c.jpg"
    rebinding = Rebinding()
    async with Outside(inner=rebinding) as outside, aiohttp.ClientSession() as http:
        got = await download(http, url, {}, LIMITS, None, outside=outside)
    assert rebinding.lookups == 2  # the check saw the public address, the connection the other
    assert (got.outcome, got.reason) == ("refused", "files.example.test is not a public address "
                                         "(CC_MEDIA_ALLOWED_NETWORKS can allow a private network)")  # fmt: skip
    assert seen == []  # the connection was never opened
    # the same name and host with the network allowed: the refusal was the guard's, nothing else
    async with Outside("127.0.0.1/32", inner=Rebinding()) as outside:
        got = await download(outside.http, url, {}, LIMITS, None, outside=outside)
    assert (got.outcome, got.data) == ("stored", JPEG)
    assert seen == ["/c.jpg"]


async def test_addresses_in_disguise_are_judged_as_what_they_are() -> None:
    """IPv6 forms that carry an IPv4 address (mapped, NAT64, 6to4, IPv4-compatible) are judged
    by that address; tunnels whose far end cannot be known are refused."""
    async with Outside("10.8.0.0/16") as outside:
        for public in ("93.184.216.34", "2606:4700::1111", "64:ff9b::808:808", "2002:808:808::1"):
            assert outside.allows(public), public
        for allowed in ("10.8.3.4", "::ffff:10.8.3.4", "64:ff9b::a08:304"):  # the network's
            assert outside.allows(allowed), allowed
        for inner in ("::ffff:127.0.0.1", "fe80::1%eth0", "::1", "::", "10.9.0.1", "100.64.0.1",
                      "169.254.169.254", "0.0.0.0",  # noqa: S104
                      "64:ff9b::a00:5", "2002:a00:5::1", "::7f00:1", "::ffff:0:7f00:1",
                      "2001:0:4136:e378:8000:63bf:3fff:fdd2", "64:ff9b:1::808:808",
                      "fec0::1"):  # fmt: skip
            assert not outside.allows(inner), inner


def test_a_bad_allowed_network_stops_the_start_with_its_name() -> None:
    with pytest.raises(pydantic.ValidationError) as caught:
        Settings(media_allowed_networks="10.8.0.0/16, 10.9.0.0/33")
    assert "CC_MEDIA_ALLOWED_NETWORKS: '10.9.0.0/33' is not a network" in str(caught.value)


class Unresolvable(Rebinding):
    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        raise OSError(f"{host}: temporary failure in name resolution")


async def test_a_name_that_does_not_resolve_now_is_tried_again_later() -> None:
    """A DNS failure is no verdict on the address: the attachment fails for now (retried),
    it is not refused for good."""
    async with Outside(inner=Unresolvable()) as outside, aiohttp.ClientSession() as http:
        got = await download(http, "https://cdn.example.test/a.jpg", {}, LIMITS, None,
                             outside=outside)  # fmt: skip
    assert (got.outcome, got.reason) == ("failed", "download failed: ClientConnectionError")
