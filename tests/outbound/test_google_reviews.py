"""Google reviews: a Pub/Sub push with Google's OIDC token (checked against a local JWKS), the
review fetched and stored, the owner's reply sent with PUT."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import jwt
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from cryptography.hazmat.primitives.asymmetric import rsa

from contactcenter.api import google_reviews
from contactcenter.settings import Settings
from tests.outbound.conftest import Fake
from tests.world import World
from workers.outbound import deliver

Client = TestClient[Any, Any]
AUDIENCE = "https://cc.example.com/google-reviews/push"
PUSHER = "gbp-push@cc-prod.iam.gserviceaccount.com"
REVIEW = "accounts/1001/locations/2002/reviews/r-777"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
async def google() -> AsyncIterator[str]:
    """Google's JWKS and the Business Profile API (GET a review), on one local server."""
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key()))

    async def certs(request: web.Request) -> web.Response:
        return web.json_response({"keys": [public | {"kid": "k1", "alg": "RS256", "use": "sig"}]})

    async def review(request: web.Request) -> web.Response:
        assert request.headers["Authorization"] == "Bearer gbp-token"
        return web.json_response(
            {
                "name": REVIEW,
                "reviewId": "r-777",
                "starRating": "FOUR",
                "comment": "Great beans!",
                "reviewer": {"displayName": "Ines B.", "isAnonymous": False},
                "createTime": "2026-11-29T08:00:00Z",
                "updateTime": "2026-11-29T08:00:00Z",
            }
        )

    async def listing(request: web.Request) -> web.Response:
        assert request.query["orderBy"] == "updateTime desc"
        older = {
            "name": "accounts/1001/locations/2002/reviews/r-700",
            "starRating": "TWO",
            "comment": "Too bitter",
            "reviewer": {"isAnonymous": True},
            "updateTime": "2026-11-28T08:00:00Z",
        }
        return web.json_response(
            {
                "reviews": [
                    {
                        "name": REVIEW,
                        "starRating": "FOUR",
                        "comment": "Great beans!",
                        "reviewer": {"displayName": "Ines B."},
                        "updateTime": "2026-11-29T08:00:00Z",
                    },
                    older,
                ]
            }
        )

    app = web.Application()
    app.router.add_get("/certs", certs)
    app.router.add_get("/v4/accounts/1001/locations/2002/reviews", listing)
    app.router.add_get("/v4/{name:.*}", review)
    async with TestServer(app) as server:
        yield str(server.make_url("")).rstrip("/")


@pytest.fixture
def settings(settings: Settings, google: str) -> Settings:
    google_reviews._keys.update(jwks=None)
    return settings.model_copy(
        update={"google_certs_url": f"{google}/certs", "google_business_url": google}
    )


def _token(**claims: Any) -> str:
    body = {
        "iss": "https://accounts.google.com",
        "aud": AUDIENCE,
        "email": PUSHER,
        "email_verified": True,
        "exp": int(time.time()) + 3600,
        "iat": int(time.time()),
    }
    return jwt.encode(body | claims, KEY, algorithm="RS256", headers={"kid": "k1"})


def _push(kind: str = "NEW_REVIEW", field: str = "review") -> dict[str, Any]:
    data = {"type": kind, field: REVIEW, "location": "accounts/1001/locations/2002"}
    return {
        "message": {
            "data": base64.b64encode(json.dumps(data).encode()).decode(),
            "messageId": "1234567890",
            "attributes": {},
        },
        "subscription": "projects/cc-prod/subscriptions/gbp",
    }


async def test_review_push_in_reply_out(
    client: Client, world: World, pool: asyncpg.Pool, fake: Fake, ctx: dict[str, Any]
) -> None:
    resp = await client.post(
        "/api/v1/channel-accounts",
        headers=world.auth("admin"),
        json={
            "brand_id": str(world.brand.id),
            "channel": "google-reviews",
            "name": "Acme Berlin",
            "queue_id": str(world.queue.id),
            "credentials": {
                "access_token": "gbp-token",
                "oidc_audience": AUDIENCE,
                "push_service_account": PUSHER,
                "push_secret": "s3cret",
            },
        },
    )
    account = (await resp.json())["id"]
    path = f"/google-reviews/{account}/push"
    ok = await client.post(path, json=_push(), headers={"Authorization": f"Bearer {_token()}"})
    assert ok.status == 204, await ok.text()
    [row] = await pool.fetch(
        "SELECT m.text, m.platform_message_id, c.name FROM messages m "
        "JOIN contacts c ON c.id = m.sender_contact_id"
    )
    assert (row["text"], row["name"]) == ("★★★★☆ Great beans!", "Ines B.")
    again = await client.post(
        path, json=_push(field="reviewName"), headers={"Authorization": f"Bearer {_token()}"}
    )
    assert again.status == 204 and await pool.fetchval("SELECT count(*) FROM messages") == 1
    for bad in (
        _token(aud="https://elsewhere"),
        _token(email="evil@example.com"),
        _token(exp=int(time.time()) - 10),
        _token() + "x",
    ):
        refused = await client.post(path, json=_push(), headers={"Authorization": f"Bearer {bad}"})
        assert refused.status == 401
    by_secret = await client.post(path + "?token=s3cret", json=_push("NEW_QUESTION"))
    assert by_secret.status == 204  # a question: acknowledged, not stored
    assert (await client.post(path + "?token=wrong", json=_push())).status == 401

    tid = await pool.fetchval("SELECT id FROM tickets")
    reply = await (
        await client.post(
            f"/api/v1/tickets/{tid}/messages",
            json={"text": "Thank you, Ines!"},
            headers=world.auth("agent"),
        )
    ).json()
    fake.script.append(
        (200, {"comment": "Thank you, Ines!", "updateTime": "2026-11-30T10:00:00Z"}, {}, 0)
    )
    assert await deliver(ctx, reply["id"]) == "sent"
    [request] = fake.requests
    assert (request["method"], request["path"]) == ("PUT", f"/v4/{REVIEW}/reply")
    assert (
        request["body"] == {"comment": "Thank you, Ines!"} and request["auth"] == "Bearer gbp-token"
    )


async def test_polling_catches_reviews_the_push_missed(
    client: Client, world: World, pool: asyncpg.Pool, ctx: dict[str, Any], google: str
) -> None:
    """With location_name, the worker lists the location's reviews down to its cursor: the
    review that was pushed is a duplicate, the one that was not comes in; a second poll adds
    nothing."""
    from workers.pollers import poll_reviews

    resp = await client.post(
        "/api/v1/channel-accounts",
        headers=world.auth("admin"),
        json={
            "brand_id": str(world.brand.id),
            "channel": "google-reviews",
            "name": "Acme Berlin",
            "queue_id": str(world.queue.id),
            "credentials": {
                "access_token": "gbp-token",
                "push_secret": "s3cret",
                "location_name": "accounts/1001/locations/2002",
            },
        },
    )
    account = (await resp.json())["id"]
    pushed = await client.post(f"/google-reviews/{account}/push?token=s3cret", json=_push())
    assert pushed.status == 204
    ctx["settings"] = ctx["settings"].model_copy(update={"google_business_url": google})
    assert await poll_reviews(ctx) == 1  # r-700; r-777 was pushed already
    assert await poll_reviews(ctx) == 0
    texts = sorted(r["text"] for r in await pool.fetch("SELECT text FROM messages"))
    assert texts == ["★★★★☆ Great beans!", "★★☆☆☆ Too bitter"]
