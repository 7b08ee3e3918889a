"""LinkedIn: the validation challenge, both signature readings, comments and mentions in, a
comment as the organization out."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import asyncpg
from aiohttp.test_utils import TestClient

from tests.helpers import fixture
from tests.outbound.conftest import Fake
from tests.world import World
from workers.outbound import deliver

Client = TestClient[Any, Any]
SECRET = "li-client-secret"
ORG = "urn:li:organization:2414183"


async def test_linkedin_in_and_out(
    client: Client, world: World, pool: asyncpg.Pool, fake: Fake, ctx: dict[str, Any]
) -> None:
    resp = await client.post(
        "/api/v1/channel-accounts",
        headers=world.auth("admin"),
        json={
            "brand_id": str(world.brand.id),
            "channel": "linkedin",
            "name": "Acme page",
            "queue_id": str(world.queue.id),
            "credentials": {
                "client_secret": SECRET,
                "organization_urn": ORG,  # CHANNELS.md's name; stored as organization
                "access_token": "LITOKEN",
            },
        },
    )
    account = (await resp.json())["id"]
    code = "0d3b6e4a-8f2c-4c1e-9a7b-5e6f7a8b9c0d"
    challenge = await client.get(f"/webhooks/linkedin/{account}", params={"challengeCode": code})
    assert challenge.status == 200 and challenge.content_type == "application/json"
    assert await challenge.json() == {
        "challengeCode": code,
        "challengeResponse": hmac.new(SECRET.encode(), code.encode(), hashlib.sha256).hexdigest(),
    }

    body = fixture("linkedin/notifications.json")
    readings = [
        hmac.new(SECRET.encode(), b"hmacsha256=" + body, hashlib.sha256).hexdigest(),
        "hmacsha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest(),
    ]
    for n, signature in enumerate(readings):
        posted = await client.post(
            f"/webhooks/linkedin/{account}", data=body, headers={"X-LI-Signature": signature}
        )
        assert posted.status == 200
        assert (await posted.json())["stored" if n == 0 else "duplicates"] == 3
    forged = await client.post(
        f"/webhooks/linkedin/{account}", data=body, headers={"X-LI-Signature": "0" * 64}
    )
    assert forged.status == 401
    texts = [r["text"] for r in await pool.fetch("SELECT text FROM messages ORDER BY id")]
    assert texts[0] == "Do you ship to Norway?"
    assert texts[1] is None  # a comment without its text: fetched by the worker below
    assert texts[2].startswith("Someone mentioned you on urn:li:share:7099")
    senders = {r[0] for r in await pool.fetch("SELECT external_id FROM contact_identities")}
    assert (
        senders
        == {  # the page admin who subscribed is nobody's author; our own comment is not stored
            "urn:li:person:AbC123",
            "unknown:urn:li:comment:(urn:li:activity:7012345678901234567,7012345600000000001)",
            "unknown:urn:li:share:7099999999999999999",
        }
    )
    fake.script.append(
        (
            200,
            {"message": {"text": "Is the decaf organic?"}, "actor": "urn:li:person:QrS456"},
            {},
            0,
        )
    )
    from workers.enrich import linkedin_texts

    assert await linkedin_texts(ctx) == 1
    fetched = fake.requests.pop()
    assert fetched["raw_path"] == (
        "/rest/socialActions/urn%3Ali%3Aactivity%3A7012345678901234567/comments/7012345600000000001"
    )
    assert (
        await pool.fetchval("SELECT text FROM messages WHERE platform_message_id = '123456792'")
        == "Is the decaf organic?"
    )
    assert await linkedin_texts(ctx) == 0

    tid = await pool.fetchval(
        "SELECT ticket_id FROM messages WHERE platform_message_id = '123456789'"
    )
    reply = await (
        await client.post(
            f"/api/v1/tickets/{tid}/messages", json={"text": "We do!"}, headers=world.auth("agent")
        )
    ).json()
    fake.script.append((201, {}, {"x-restli-id": "urn:li:comment:(urn:li:activity:1,2)"}, 0))
    assert await deliver(ctx, reply["id"]) == "sent"
    [request] = fake.requests
    assert (
        request["raw_path"] == "/rest/socialActions/urn%3Ali%3Ashare%3A7012345678901234567/comments"
    )
    assert request["body"] == {
        "actor": ORG,
        "object": "urn:li:share:7012345678901234567",
        "message": {"text": "We do!"},
        "parentComment": "urn:li:comment:(urn:li:activity:7012345678901234567,7012345699999999999)",
    }
