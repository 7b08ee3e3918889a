"""Outbound test helpers: a local fake of the platforms' send APIs, and a worker context."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiohttp import BodyPartReader, web
from aiohttp.test_utils import TestServer
from aiosmtpd.smtp import SMTP, Envelope, Session
from arq import ArqRedis

from contactcenter.embedded import free_port
from contactcenter.settings import Settings

TELEGRAM_UPLOADS = ("sendPhoto", "sendDocument", "sendAudio", "sendVideo")


@dataclass
class Fake:
    """A platform's send API: records each request, answers from a script (default: success)."""

    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    script: list[tuple[int, Any, dict[str, str], float]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        self.requests.append({"path": request.path, "auth": request.headers.get("Authorization"),
                              "body": body, "retry_key": request.headers.get("X-Line-Retry-Key"),
                              "viber_token": request.headers.get("X-Viber-Auth-Token"),
                              "raw_path": request.raw_path, "method": request.method,
                              "query": dict(request.query)})  # fmt: skip
        status, data, headers, delay = self.script.pop(0) if self.script else (200, None, {}, 0)
        if delay:
            await asyncio.sleep(delay)
        if data is None:
            data = self.success(request.path, body)
        return web.json_response(data, status=status, headers=headers)

    @staticmethod
    async def _body(request: web.Request) -> dict[str, Any]:
        """JSON; form fields (a repeated field as a list); a multipart upload (files as
        {filename, content_type, data})."""
        if request.content_type == "multipart/form-data":
            body: dict[str, Any] = {}
            async for part in await request.multipart():
                assert isinstance(part, BodyPartReader)
                data = await part.read()
                body[part.name or ""] = (
                    {"filename": part.filename, "data": data,
                     "content_type": part.headers.get("Content-Type")}
                    if part.filename else data.decode()
                )  # fmt: skip
            return body
        if request.content_type == "application/octet-stream":  # a file's bytes (Slack's upload)
            return {"bytes": await request.read()}
        if request.content_type == "application/x-www-form-urlencoded":
            form = await request.post()
            return {k: v[0] if len(v := form.getall(k)) == 1 else v for k in set(form.keys())}
        parsed: dict[str, Any] = await request.json()
        return parsed

    async def handle_get(self, request: web.Request) -> web.Response:
        """A GET to a platform API: recorded, answered from the script."""
        self.requests.append(
            {
                "path": request.path,
                "raw_path": request.raw_path,
                "auth": request.headers.get("Authorization"),
                "body": None,
            }
        )
        status, data, headers, _ = self.script.pop(0) if self.script else (404, {}, {}, 0)
        return web.json_response(data, status=status, headers=headers)

    def success(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """Each API's documented success answer."""
        n = len(self.requests)
        if path == "/api/chat.postMessage":
            return {"ok": True, "channel": body["channel"], "ts": f"1764461000.{n:06d}",
                    "message": {"text": body["text"]}}  # fmt: skip
        if path == "/api/files.getUploadURLExternal":
            return {"ok": True, "upload_url": f"{self.url}/upload/v1/U{n}", "file_id": f"F{n:04d}"}
        if path.startswith("/upload/v1/"):
            return {}
        if path == "/api/files.completeUploadExternal":
            return {"ok": True, "files": [{"id": f["id"], "title": f["title"]}
                                          for f in body["files"]]}  # fmt: skip
        if path == "/2/media/upload":  # X's one-shot upload
            return {"data": {"id": f"18800281060205{n:05d}", "media_key": f"3_18800281060205{n:05d}",
                             "expires_after_secs": 86400}}  # fmt: skip
        if path.startswith("/2/dm_conversations/"):
            return {"data": {"dm_conversation_id": "c", "dm_event_id": f"17990{n}"}}
        if path == "/cb":  # our API channel's callback
            return {"id": f"cb-{n}"}
        if path.rsplit("/", 1)[-1] in ("sendMessage", *TELEGRAM_UPLOADS):
            return {"ok": True, "result": {"message_id": 501}}
        if path == "/v2/bot/message/push":
            return {"sentMessages": [{"id": f"4687895779{n:08d}", "quoteToken": "q"}]}
        if path == "/pa/send_message":
            return {"status": 0, "status_message": "ok", "message_token": 5098034275300000000 + n}
        if path.endswith("/Messages.json"):
            return {"sid": f"SM{n:032d}", "status": "queued", "to": body["To"]}
        if "messaging_product" in body:
            return {"messaging_product": "whatsapp", "contacts": [{"input": body["to"],
                    "wa_id": body["to"]}], "messages": [{"id": f"wamid.OUT{n}"}]}  # fmt: skip
        return {"recipient_id": body["recipient"]["id"], "message_id": f"m_graph-{n}"}


@pytest.fixture
async def fake() -> AsyncIterator[Fake]:
    platform = Fake()
    app = web.Application()
    app.router.add_post("/v21.0/{phone}/messages", platform.handle)
    app.router.add_post("/v21.0/{comment}/comments", platform.handle)
    app.router.add_post("/v21.0/{comment}/replies", platform.handle)
    app.router.add_post("/{bot}/sendMessage", platform.handle)
    for method in TELEGRAM_UPLOADS:
        app.router.add_post(f"/{{bot}}/{method}", platform.handle)
    app.router.add_post("/cb", platform.handle)
    app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", platform.handle)
    app.router.add_post("/v2/bot/message/push", platform.handle)
    app.router.add_post("/pa/send_message", platform.handle)
    app.router.add_post("/api/chat.postMessage", platform.handle)
    app.router.add_post("/api/files.getUploadURLExternal", platform.handle)
    app.router.add_post("/api/files.completeUploadExternal", platform.handle)
    app.router.add_post("/upload/v1/{upload}", platform.handle)
    app.router.add_post("/2/tweets", platform.handle)
    app.router.add_post("/2/media/upload", platform.handle)
    app.router.add_post("/youtube/v3/comments", platform.handle)
    app.router.add_post("/rest/socialActions/{post}/comments", platform.handle)
    app.router.add_get("/rest/socialActions/{post}/comments/{comment}", platform.handle_get)
    app.router.add_put("/v4/{review:.*}/reply", platform.handle)
    app.router.add_post("/services/rest/", platform.handle)
    app.router.add_post("/2/dm_conversations/with/{participant}/messages", platform.handle)
    async with TestServer(app) as server:
        platform.url = str(server.make_url("")).rstrip("/")
        yield platform


@pytest.fixture
async def ctx(
    pool: asyncpg.Pool,
    arq: ArqRedis,
    settings: Settings,
    fake: Fake,
) -> AsyncIterator[dict[str, Any]]:
    configured = settings.model_copy(update={
        "graph_api_url": f"{fake.url}/v21.0", "telegram_api_url": fake.url,
        "twilio_api_url": fake.url, "line_api_url": fake.url, "viber_api_url": fake.url,
        "x_api_url": fake.url, "youtube_api_url": fake.url,
        "linkedin_api_url": fake.url, "google_business_url": fake.url,
        "flickr_api_url": fake.url, "slack_api_url": fake.url,
        "send_timeout_s": 0.5, "send_backoff_s": 0.05,
    })  # fmt: skip
    async with aiohttp.ClientSession() as http:
        yield {"pool": pool, "redis": arq, "http": http, "settings": configured}


class Relay:
    """The outgoing relay: a local SMTP server that keeps what it is given."""

    def __init__(self) -> None:
        self.mails: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.mails.append((str(envelope.mail_from), list(envelope.rcpt_tos),
                           bytes(envelope.original_content or b"")))  # fmt: skip
        return "250 OK"


@pytest.fixture
async def relay() -> AsyncIterator[tuple[Relay, int]]:
    keeper, port = Relay(), free_port()
    server = await asyncio.get_running_loop().create_server(lambda: SMTP(keeper), "127.0.0.1", port)
    yield keeper, port
    server.close()
    await server.wait_closed()
