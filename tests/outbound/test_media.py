"""Inbound media: fetched by the worker from WhatsApp's media API into the store, within the
limits, and served to agents who may open the ticket."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from contactcenter.settings import Settings
from tests.helpers import fixture, post_whatsapp
from tests.world import World
from workers.media import fetch_media

Client = TestClient[Any, Any]
JPEG = b"\xff\xd8\xff\xe0" + b"0" * 2000
PDF = b"%PDF-1.4 " + b"1" * 500


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    """The web process and the worker share the media store: a fresh directory per test."""
    return settings.model_copy(update={"media_dir": tmp_path})


@pytest.fixture
async def graph() -> Any:
    """WhatsApp's media API: GET /{id} → a URL; GET that URL (with the token) → the bytes."""
    served: dict[str, tuple[bytes, str]] = {"1037543291543636": (JPEG, "image/jpeg"),
                                            "2037543291543637": (PDF, "application/pdf")}  # fmt: skip
    seen: list[str] = []

    async def info(request: web.Request) -> web.Response:
        assert request.headers["Authorization"] == "Bearer EAAG-test"
        media_id = request.match_info["media_id"]
        if media_id not in served:
            return web.Response(status=500, text="temporarily unavailable")
        seen.append(media_id)
        return web.json_response({"url": str(request.url.with_path(f"/files/{media_id}")),
                                  "mime_type": served[media_id][1], "id": media_id})  # fmt: skip

    async def file(request: web.Request) -> web.Response:
        assert request.headers["Authorization"] == "Bearer EAAG-test"
        data, mime = served[request.match_info["media_id"]]
        return web.Response(body=data, content_type=mime)

    app = web.Application()
    app.router.add_get("/v21.0/{media_id}", info)
    app.router.add_get("/files/{media_id}", file)
    async with TestServer(app) as server:
        yield str(server.make_url("")).rstrip("/"), served, seen


async def test_attachments_are_fetched_and_served(
    client: Client, world: World, pool: asyncpg.Pool, ctx: dict[str, Any], graph: Any,
    tmp_path: Path,
) -> None:  # fmt: skip
    base, _, seen = graph
    ctx["settings"] = ctx["settings"].model_copy(update={
        "graph_api_url": f"{base}/v21.0", "media_types": "image/*,application/pdf",
    })  # fmt: skip
    resp = await post_whatsapp(client, world, fixture("whatsapp/image_reply.json"))
    assert (await resp.json())["stored"] == 2
    counts = await fetch_media(ctx)
    assert counts == {"stored": 2} and sorted(seen) == ["1037543291543636", "2037543291543637"]
    assert await fetch_media(ctx) == {}  # nothing left: each is fetched once
    tid = await pool.fetchval("SELECT min(ticket_id) FROM messages")
    page = await (await client.get(f"/api/v1/tickets/{tid}/messages",
                                   headers=world.auth("agent"))).json()  # fmt: skip
    urls = [a["url"] for m in page["items"] for a in m["attachments"]]
    assert all(u.startswith("/api/v1/media/") for u in urls) and len(urls) == 2
    image = await client.get(urls[0], headers=world.auth("agent"))
    assert image.status == 200 and await image.read() == JPEG
    assert image.headers["Content-Type"] == "image/jpeg"
    assert (await client.get(urls[0])).status == 401
    await pool.execute("UPDATE tickets SET queue_id = $1", world.queue_b.id)  # team B's now
    assert (await client.get(urls[0], headers=world.auth("agent"))).status == 403
    assert (await client.get(urls[0], headers=world.auth("agent_b"))).status == 200


async def test_limits_refuse_without_retrying(
    client: Client, world: World, pool: asyncpg.Pool, ctx: dict[str, Any], graph: Any,
    tmp_path: Path,
) -> None:  # fmt: skip
    base, _, _ = graph
    ctx["settings"] = ctx["settings"].model_copy(update={
        "graph_api_url": f"{base}/v21.0", "media_types": "image/*", "media_max_bytes": 1000,
    })  # fmt: skip
    await post_whatsapp(client, world, fixture("whatsapp/image_reply.json"))
    assert await fetch_media(ctx) == {"refused": 2}
    rows = await pool.fetch("SELECT status, error FROM media ORDER BY position, id")
    errors = sorted(r["error"] for r in rows)
    assert errors == ["larger than 1000 bytes", "type application/pdf is not allowed"]
    assert list(tmp_path.iterdir()) == []


async def test_payload_urls_into_our_network_are_refused() -> None:
    """An attachment URL from a payload (API, Messenger, Viber, …) pointing at a private,
    loopback or link-local address is refused: no server-side request forgery."""
    import aiohttp

    from contactcenter.media.fetch import Refused, locate
    from contactcenter.media.outside import Outside

    async with aiohttp.ClientSession() as http, Outside() as outside:
        for url in (
            "http://169.254.169.254/latest/meta-data/iam",
            "http://127.0.0.1:5432/",
            "http://10.0.0.8/admin",
            "file:///etc/passwd",
            "http://[::1/x",  # no URL at all: refused, not retried
            "http://[64:ff9b::a00:5]/",  # 10.0.0.5 through NAT64
        ):
            with pytest.raises(Refused):
                await locate(http, "api", {}, {"platform_media_id": url}, {}, outside)


async def test_a_temporary_failure_waits_before_the_next_attempt(
    client: Client, world: World, pool: asyncpg.Pool, ctx: dict[str, Any], graph: Any
) -> None:
    """WhatsApp answers 5xx: the attachment stays pending with a later attempt time, instead of
    using up its attempts within one pass."""
    base, served, _ = graph
    served.clear()  # the fake answers 500 for unknown media
    ctx["settings"] = ctx["settings"].model_copy(
        update={"graph_api_url": f"{base}/v21.0", "media_types": "image/*,application/pdf"}
    )
    await post_whatsapp(client, world, fixture("whatsapp/image_reply.json"))
    assert await fetch_media(ctx) == {"failed": 2}
    assert await fetch_media(ctx) == {}  # not due again yet
    rows = await pool.fetch("SELECT status, attempts, next_attempt_at > now() AS later FROM media")
    assert [(r["status"], r["attempts"], r["later"]) for r in rows] == [("pending", 1, True)] * 2


async def test_redirects_from_payload_urls_are_checked_hop_by_hop() -> None:
    """A payload URL that redirects into our network (cloud metadata, loopback) is refused at
    that hop (a redirect is never judged by its own content type)."""
    import aiohttp

    from contactcenter.media.fetch import Limits, download
    from contactcenter.media.outside import HINT, Outside

    async def hop(request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        raise web.HTTPFound(f"/hop/{n + 1}" if n < 9 else "http://169.254.169.254/latest")

    async def to_metadata(request: web.Request) -> web.Response:
        raise web.HTTPFound("http://169.254.169.254/latest/meta-data/iam")

    async def bad_location(request: web.Request) -> web.Response:
        return web.Response(status=302, headers={"Location": "http://x:99999/"})

    app = web.Application()
    app.router.add_get("/hop/{n}", hop)
    app.router.add_get("/meta", to_metadata)
    app.router.add_get("/bad", bad_location)
    limits = Limits(10_000, ("image/*", "text/*"))
    own = Outside("127.0.0.1/32")  # this test's server may be reached, nothing else inward
    async with TestServer(app) as server, aiohttp.ClientSession() as http, own as outside:
        meta = await download(
            http, str(server.make_url("/meta")), {}, limits, None, outside=outside
        )
        assert (meta.outcome, meta.reason) == (
            "refused",
            f"169.254.169.254 is not a public address ({HINT})",
        )
        loop = await download(
            http, str(server.make_url("/hop/0")), {}, limits, None, outside=outside
        )
        assert (loop.outcome, loop.reason) == ("refused", "more than 5 redirects")
        bad = await download(http, str(server.make_url("/bad")), {}, limits, None, outside=outside)
        assert (bad.outcome, bad.reason) == ("refused", "redirected to no URL: http://x:99999/")
        other = str(server.make_url("/hop/9")).replace("127.0.0.1", "127.0.0.2")
        first = await download(http, other, {}, limits, None, outside=outside)
        assert (first.outcome, first.reason) == (  # the first URL is judged too, not only hops
            "refused",
            f"127.0.0.2 is not a public address ({HINT})",
        )


async def test_files_are_served_so_they_cannot_run_on_our_origin(
    client: Client, world: World, pool: asyncpg.Pool, ctx: dict[str, Any], graph: Any,
    tmp_path: Path,
) -> None:  # fmt: skip
    """An SVG (which can carry script) is a download, never shown inline, and every file comes
    with a sandboxing Content-Security-Policy; a JPEG is shown inline."""
    base, _, _ = graph
    ctx["settings"] = ctx["settings"].model_copy(update={
        "graph_api_url": f"{base}/v21.0", "media_types": "image/*,application/pdf",
    })  # fmt: skip
    await post_whatsapp(client, world, fixture("whatsapp/image_reply.json"))
    assert await fetch_media(ctx) == {"stored": 2}
    jpeg_id, pdf_id = [r["id"] for r in await pool.fetch("SELECT id FROM media ORDER BY position")]
    await pool.execute("UPDATE media SET mime_type = 'image/svg+xml' WHERE id = $1", pdf_id)
    jpeg = await client.get(f"/api/v1/media/{jpeg_id}", headers=world.auth("agent"))
    svg = await client.get(f"/api/v1/media/{pdf_id}", headers=world.auth("agent"))
    assert jpeg.headers["Content-Disposition"].startswith("inline")
    assert svg.headers["Content-Disposition"].startswith("attachment")
    for resp in (jpeg, svg):
        assert "sandbox" in resp.headers["Content-Security-Policy"]


async def test_a_worker_whose_lease_ran_out_does_not_overwrite_the_next_one(
    client: Client, world: World, pool: asyncpg.Pool, ctx: dict[str, Any]
) -> None:
    """A download slower than the lease: another worker took the attachment meanwhile. The
    slow worker's result is dropped (the row stays the other's), never written over it."""

    async def info(request: web.Request) -> web.Response:
        return web.json_response({"url": str(request.url.with_path("/slow")),
                                  "mime_type": "image/jpeg"})  # fmt: skip

    async def slow(request: web.Request) -> web.Response:
        # meanwhile the lease ran out and another worker claimed the row (a new lease)
        await pool.execute("UPDATE media SET next_attempt_at = now() + interval '10 minutes'")
        return web.Response(body=JPEG, content_type="image/jpeg")

    app = web.Application()
    app.router.add_get("/v21.0/{media_id}", info)
    app.router.add_get("/slow", slow)
    async with TestServer(app) as server:
        ctx["settings"] = ctx["settings"].model_copy(update={
            "graph_api_url": str(server.make_url("/v21.0")), "media_types": "image/*",
        })  # fmt: skip
        await post_whatsapp(client, world, fixture("whatsapp/image_reply.json"))
        counts = await fetch_media(ctx)
    assert counts.get("lease_lost") == 1
    rows = await pool.fetch("SELECT status FROM media")
    assert "pending" in {r["status"] for r in rows}  # left to the worker that holds it now
