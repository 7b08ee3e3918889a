"""The admin's connection check asks each platform that has a cheap read whether it takes the
account's credentials, against fakes that speak the documented answers: WhatsApp, Facebook
Pages (and whether the token is the configured Page's), Instagram, Viber, LINE, Twilio and
Slack (Telegram: tests/web/test_workspace.py)."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from contactcenter.settings import Settings
from tests.world import World

Client = TestClient[Any, Any]
GOOD = "good-token"
META = {"app_secret": "s", "verify_token": "v"}
TWILIO = {"account_sid": "AC123", "auth_token": GOOD, "from_number": "+4930123"}


@pytest.fixture
async def platforms() -> Any:
    async def me(request: web.Request) -> web.Response:  # Graph: GET /me with a Page token
        if request.query.get("access_token") == GOOD:
            return web.json_response({"id": "107000000000001", "name": "Acme Coffee"})
        if request.query.get("access_token") == "other-page":
            return web.json_response({"id": "999", "name": "Someone Else"})
        return web.json_response({"error": {"message": "Invalid OAuth access token.",
                                            "code": 190}}, status=400)  # fmt: skip

    async def ig_user(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") == f"Bearer {GOOD}":
            return web.json_response({"username": "acme.coffee", "id": "17841400000000000"})
        return web.json_response({"error": {"message": "Invalid OAuth access token."}}, status=400)

    async def viber(request: web.Request) -> web.Response:
        if request.headers.get("X-Viber-Auth-Token") == GOOD:
            return web.json_response({"status": 0, "status_message": "ok", "name": "Acme"})
        return web.json_response({"status": 2, "status_message": "invalidAuthToken"})

    async def line(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") == f"Bearer {GOOD}":
            return web.json_response({"displayName": "Acme", "basicId": "@acme"})
        return web.json_response({"message": "Authentication failed."}, status=401)

    async def twilio(request: web.Request) -> web.Response:
        good = "Basic " + base64.b64encode(f"AC123:{GOOD}".encode()).decode()
        if request.headers.get("Authorization") == "Basic " + base64.b64encode(
                b"AC123:behind-a-proxy").decode():  # fmt: skip
            return web.Response(status=503)  # a proxy's answer: no body at all
        if request.headers.get("Authorization") != good:
            return web.json_response({"code": 20003, "message": "Authenticate"}, status=401)
        return web.json_response({"friendly_name": "Acme", "status": "active"})

    async def phone(request: web.Request) -> web.Response:  # WhatsApp's phone number
        if request.headers.get("Authorization") == f"Bearer {GOOD}":
            return web.json_response({"display_phone_number": "+49 30 123", "id": "1065"})
        return web.json_response({"error": {"message": "Invalid OAuth access token."}}, status=401)

    async def slack(request: web.Request) -> web.Response:  # errors come as 200 with ok: false
        if request.headers.get("Authorization") == f"Bearer {GOOD}":
            return web.json_response({"ok": True, "team": "Acme", "user": "support_bot"})
        return web.json_response({"ok": False, "error": "invalid_auth"})

    app = web.Application()
    app.router.add_get("/v21.0/me", me)
    app.router.add_get("/v21.0/1065", phone)
    app.router.add_post("/api/auth.test", slack)
    app.router.add_get("/v21.0/17841400000000000", ig_user)
    app.router.add_post("/pa/get_account_info", viber)
    app.router.add_get("/v2/bot/info", line)
    app.router.add_get("/2010-04-01/Accounts/AC123.json", twilio)
    async with TestServer(app) as server:
        yield str(server.make_url("")).rstrip("/")


@pytest.fixture
def settings(settings: Settings, platforms: str) -> Settings:
    return settings.model_copy(update={
        "graph_api_url": f"{platforms}/v21.0", "viber_api_url": platforms,
        "line_api_url": platforms, "twilio_api_url": platforms, "slack_api_url": platforms,
    })  # fmt: skip


@pytest.mark.parametrize(("channel", "creds", "token", "good", "bad"), [
    ("messenger", META | {"page_id": "107000000000001"}, "page_access_token",
     "Facebook Page Acme Coffee", "Facebook: Invalid OAuth access token."),
    ("facebook", META | {"page_id": "107000000000001"}, "page_access_token",
     "Facebook Page Acme Coffee", "Facebook: Invalid OAuth access token."),
    ("instagram", META | {"ig_id": "17841400000000000"}, "access_token",
     "Instagram account @acme.coffee", "Instagram: Invalid OAuth access token."),
    ("viber", {}, "auth_token", "Viber bot Acme", "Viber: invalidAuthToken"),
    ("line", {"channel_secret": "s"}, "channel_access_token", "LINE bot Acme (@acme)",
     "LINE: Authentication failed."),
    ("whatsapp", META | {"phone_number_id": "1065"}, "access_token",
     "WhatsApp number +49 30 123", "WhatsApp: Invalid OAuth access token."),
    ("slack", {"signing_secret": "s"}, "bot_token", "Slack workspace Acme as support_bot",
     "Slack: invalid_auth"),
    ("twilio-sms", TWILIO, "auth_token", "Twilio account Acme", "Twilio: Authenticate"),
    ("twilio-voice", TWILIO, "auth_token", "Twilio account Acme", "Twilio: Authenticate"),
])  # fmt: skip
async def test_the_platform_says_whether_it_takes_the_credentials(
    client: Client, world: World, channel: str, creds: dict[str, str], token: str, good: str,
    bad: str,
) -> None:  # fmt: skip
    results = []
    for value in (GOOD, "revoked"):
        resp = await client.post("/api/v1/channel-accounts", headers=world.auth("admin"), json={
            "brand_id": str(world.brand.id), "channel": channel, "name": f"{channel} {value}",
            "queue_id": str(world.queue.id), "credentials": creds | {token: value},
        })  # fmt: skip
        assert resp.status == 201, await resp.text()
        account = (await resp.json())["id"]
        check = await client.post(f"/api/v1/channel-accounts/{account}/check",
                                  headers=world.auth("admin"))  # fmt: skip
        results.append(await check.json())
    assert (results[0]["ok"], results[0]["platform"]) == (True, {"ok": True, "detail": good})
    assert (results[1]["ok"], results[1]["platform"]) == (False, {"ok": False, "detail": bad})


async def test_a_token_of_another_page_is_named(client: Client, world: World) -> None:
    resp = await client.post("/api/v1/channel-accounts", headers=world.auth("admin"), json={
        "brand_id": str(world.brand.id), "channel": "messenger", "name": "Page",
        "queue_id": str(world.queue.id),
        "credentials": META | {"page_id": "107000000000001", "page_access_token": "other-page"},
    })  # fmt: skip
    account = (await resp.json())["id"]
    check = await (await client.post(f"/api/v1/channel-accounts/{account}/check",
                                     headers=world.auth("admin"))).json()  # fmt: skip
    assert check["ok"] is False
    assert check["platform"]["detail"] == (
        "the token belongs to Someone Else (999), not to page_id 107000000000001: use that "
        "Page's access token"
    )


async def test_an_answer_without_a_body_is_a_failed_check_not_an_error(
    client: Client, world: World
) -> None:
    resp = await client.post("/api/v1/channel-accounts", headers=world.auth("admin"), json={
        "brand_id": str(world.brand.id), "channel": "twilio-sms", "name": "SMS",
        "queue_id": str(world.queue.id), "credentials": TWILIO | {"auth_token": "behind-a-proxy"},
    })  # fmt: skip
    account = (await resp.json())["id"]
    check = await client.post(f"/api/v1/channel-accounts/{account}/check",
                              headers=world.auth("admin"))  # fmt: skip
    assert check.status == 200
    assert (await check.json())["platform"] == {"ok": False, "detail": "Twilio: 503"}
