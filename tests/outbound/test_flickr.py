"""Flickr: OAuth 1.0a signing (the specification's own example), comments polled from the
activity on the brand's photos, a reply with addComment."""

from __future__ import annotations

import time
from typing import Any

import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from contactcenter.oauth1 import oauth1_signature
from tests.outbound.conftest import Fake
from tests.world import World
from workers.outbound import deliver
from workers.pollers import poll_flickr

Client = TestClient[Any, Any]
CREDS = {
    "api_key": "fkey",
    "api_secret": "fsecret",
    "user_id": "12037949754@N01",
    "oauth_token": "72157-tok",
    "oauth_token_secret": "tsecret",
}


def test_oauth1_signature_matches_the_specification_example() -> None:
    """OAuth Core 1.0 appendix A.5.2 (the photos.example.net request)."""
    params = {
        "file": "vacation.jpg",
        "size": "original",
        "oauth_consumer_key": "dpf43f3p2l4k3l03",
        "oauth_token": "nnch734d00sl2jdk",
        "oauth_signature_method": "HMAC-SHA1",
        "oauth_timestamp": "1191242096",
        "oauth_nonce": "kllo9940pd9333jh",
        "oauth_version": "1.0",
    }
    assert (
        oauth1_signature(
            "GET",
            "http://photos.example.net/photos",
            params,
            "kd94hf93k423kf44",
            "pfkkdhi9sl3r4s00",
        )
        == "tR3+Ty81lMeYAr/Fid0kMTYa/WM="
    )


def test_after_an_outage_the_window_reaches_back_to_the_cursor() -> None:
    """Flickr's activity feed is asked for the last hour normally, but for as many days as the
    poller was away (up to 30), so comments written during an outage still arrive."""
    from datetime import UTC, datetime, timedelta

    from contactcenter.actions.pollers import flickr_timeframe

    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    ago = lambda **kw: int((now - timedelta(**kw)).timestamp())  # noqa: E731
    assert flickr_timeframe(0, now) == "1h"  # first poll
    assert flickr_timeframe(ago(minutes=20), now) == "1h"
    assert flickr_timeframe(ago(hours=3), now) == "1d"
    assert flickr_timeframe(ago(days=2, hours=1), now) == "3d"
    assert flickr_timeframe(ago(days=90), now) == "30d"


@pytest.fixture
async def flickr() -> Any:
    now = int(time.time())
    state: dict[str, Any] = {"calls": []}

    async def rest(request: web.Request) -> web.Response:
        params = dict(request.query)
        state["calls"].append(params)
        signed = {k: v for k, v in params.items() if k != "oauth_signature"}
        expected = oauth1_signature(
            "GET", str(request.url.with_query(None)), signed, "fsecret", "tsecret"
        )
        assert params["oauth_signature"] == expected and params["oauth_consumer_key"] == "fkey"
        return web.json_response(
            {
                "stat": "ok",
                "items": {
                    "item": [
                        {
                            "type": "photo",
                            "id": "5432",
                            "activity": {
                                "event": [
                                    {
                                        "type": "comment",
                                        "commentid": "6065-5432-1",
                                        "user": "35468159852@N01",
                                        "username": "Rev Dan Catt",
                                        "dateadded": str(now - 60),
                                        "_content": "Where was this taken?",
                                    },
                                    {
                                        "type": "comment",
                                        "commentid": "6065-5432-2",
                                        "user": CREDS["user_id"],
                                        "username": "acme",
                                        "dateadded": str(now - 30),
                                        "_content": "Our roastery!",
                                    },
                                    {"type": "fave", "user": "1@N01", "dateadded": str(now - 10)},
                                ]
                            },
                        }
                    ]
                },
            }
        )

    app = web.Application()
    app.router.add_get("/services/rest/", rest)
    async with TestServer(app) as server:
        yield str(server.make_url("")).rstrip("/"), state


async def test_poll_and_reply(
    client: Client, world: World, pool: asyncpg.Pool, ctx: dict[str, Any], flickr: Any, fake: Fake
) -> None:
    base, state = flickr
    resp = await client.post(
        "/api/v1/channel-accounts",
        headers=world.auth("admin"),
        json={
            "brand_id": str(world.brand.id),
            "channel": "flickr",
            "name": "Acme photos",
            "queue_id": str(world.queue.id),
            "credentials": CREDS,
        },
    )
    assert resp.status == 201, await resp.text()
    ctx["settings"] = ctx["settings"].model_copy(update={"flickr_api_url": base})
    assert await poll_flickr(ctx) == 1  # the other person's comment; ours and the fave are not
    assert await poll_flickr(ctx) == 0  # nothing newer than the cursor
    assert state["calls"][0]["method"] == "flickr.activity.userPhotos"
    row = await pool.fetchrow(
        "SELECT t.id, t.platform_conversation_id, m.text FROM tickets t "
        "JOIN messages m ON m.ticket_id = t.id"
    )
    assert (row["platform_conversation_id"], row["text"]) == ("photo:5432", "Where was this taken?")

    ctx["settings"] = ctx["settings"].model_copy(update={"flickr_api_url": fake.url})
    reply = await (
        await client.post(
            f"/api/v1/tickets/{row['id']}/messages",
            json={"text": "At our Berlin roastery."},
            headers=world.auth("agent"),
        )
    ).json()
    fake.script.append((200, {"stat": "ok", "comment": {"id": "6065-5432-9"}}, {}, 0))
    assert await deliver(ctx, reply["id"]) == "sent"
    [request] = fake.requests
    assert request["path"] == "/services/rest/"
    body = request["body"]
    assert (body["method"], body["photo_id"], body["comment_text"]) == (
        "flickr.photos.comments.addComment",
        "5432",
        "At our Berlin roastery.",
    )
    signed = {k: v for k, v in body.items() if k != "oauth_signature"}
    assert body["oauth_signature"] == oauth1_signature(
        "POST", f"{fake.url}/services/rest/", signed, "fsecret", "tsecret"
    )
