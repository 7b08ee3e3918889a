"""The web chat widget's API: /chat/{account_id}/... (public; a visitor token, not an API token).

POST conversations  → a visitor token (anonymous, or a verified signed-in user of the site)
POST messages       → the visitor's message, stored like any webhook (group commit, dedup by id);
                      JSON {text, id}, or multipart with `text`, `id` and `file` parts
GET  messages       → the conversation so far (no internal notes)
GET  events?token=  → Server-Sent Events: agents' replies as they are sent
GET  /chat/widget.js → the embeddable widget
Browsers may call from the account's allowed_origins only (CORS); others get 403.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import secrets
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web
from pydantic import Field

from contactcenter import constants, keys, logs
from contactcenter.actions.ingest import IngestUnit
from contactcenter.api.http import active_account, parse_body
from contactcenter.api.schemas import In
from contactcenter.api.webchat_files import STARTS_PER_ADDRESS, WINDOW_S, message_body
from contactcenter.channels.base import (
    Attachment,
    InboundBatch,
    InboundMessage,
    clean_text,
    constant_time_equal,
    primary_language,
)
from contactcenter.channels.webchat import origins
from contactcenter.errors import ApiError, ErrorCode
from contactcenter.models import ChannelAccount
from contactcenter.outbound.files import kind, link
from contactcenter.store import db
from contactcenter.store.queries import q
from contactcenter.web.session import client_address, over_limit

log = logs.get_logger(__name__)
KEEPALIVE_S = 15.0
WIDGET = Path(__file__).resolve().parents[1] / "static" / "widget.js"

_INSERT = q("webchat.insert_visitor")
_VISITOR = q("webchat.visitor")
_HISTORY = q("webchat.history")


class StartIn(In):
    name: str = Field(default="", max_length=200)
    user_id: str | None = Field(default=None, min_length=1, max_length=200, pattern=r"^[^\n]+$")
    user_hash: str | None = Field(default=None, max_length=128)
    email: str | None = Field(  # the site has verified it; signed with the user id
        default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
    )
    language: str | None = Field(default=None, max_length=35)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def cors(handler: Handler) -> Handler:
    """Only the account's allowed origins; their errors carry CORS headers too (a browser
    hides a response without them)."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        try:
            account = await _account(request)
            if origin is not None and origin.rstrip("/") not in origins(account):
                raise ApiError(
                    ErrorCode.FORBIDDEN,
                    f"Origin {origin} may not use this chat; add it to the account's "
                    "allowed_origins.",
                )
            response = await handler(request)
        except ApiError as exc:
            response = web.json_response(
                {"error": {"code": exc.code.value, "message": exc.message}}, status=exc.status
            )
        if origin is not None and not response.prepared:
            response.headers.update(_cors_headers(origin))
        return response

    wrapped.__name__ = handler.__name__
    wrapped.__doc__ = handler.__doc__
    return wrapped


def _cors_headers(origin: str) -> dict[str, str]:
    return {
        "Access-Control-Allow-Origin": origin,
        "Vary": "Origin",
        "Access-Control-Allow-Headers": "Authorization, Content-Type",
        "Access-Control-Allow-Methods": "GET, POST",
        "Access-Control-Max-Age": "600",
    }


async def _account(request: web.Request) -> ChannelAccount:
    return await active_account(request, "webchat", "web chat account")


async def _visitor(request: web.Request, account: ChannelAccount, token: str | None) -> Any:
    if not token:
        raise ApiError(ErrorCode.UNAUTHENTICATED,
                       "Start a conversation first (POST /chat/{account}/conversations) and send "
                       "its token as 'Authorization: Bearer <token>'.")  # fmt: skip
    async with db.connection(request.app[keys.POOL]) as conn:
        visitor = await conn.fetchrow(_VISITOR, _hash(token), account.id)
    if visitor is None:
        raise ApiError(
            ErrorCode.UNAUTHENTICATED, "Unknown visitor token; start a new conversation."
        )
    return visitor


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def _bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    return header.removeprefix("Bearer ").strip() or None


@cors
async def preflight(request: web.Request) -> web.StreamResponse:
    return web.Response(status=204)


@cors
async def start(request: web.Request) -> web.StreamResponse:
    """A visitor token: for a verified user of the site (user_id + user_hash) their stable id,
    else a new anonymous visitor."""
    account = await _account(request)
    body = await parse_body(request, StartIn)
    address = client_address(request)
    starts = {f"cc:chatstart:{account.id}:addr:{address}": STARTS_PER_ADDRESS}
    if await over_limit(request, starts, WINDOW_S):
        raise ApiError(
            ErrorCode.RATE_LIMITED,
            "Too many new chats from this address in the last hour; try again later.",
        )
    secret = str(account.credentials.get("hmac_secret", ""))
    if body.email is not None and body.user_id is None:
        raise ApiError(
            ErrorCode.VALIDATION_FAILED,
            "email is only taken from a signed-in user: give user_id and a user_hash over "
            "user_id and email, or leave email out.",
        )
    if body.user_id is not None:
        # with an e-mail, both are signed: user_id, a newline, the address
        signed = body.user_id if body.email is None else f"{body.user_id}\n{body.email}"
        expected = hmac.new(secret.encode(), signed.encode(), hashlib.sha256).hexdigest()
        if (
            not secret
            or not body.user_hash
            or not constant_time_equal(body.user_hash.lower(), expected)
        ):
            raise ApiError(
                ErrorCode.BAD_SIGNATURE,
                "user_hash must be hex HMAC-SHA256(hmac_secret, user_id), or with an email "
                'HMAC-SHA256(hmac_secret, user_id + "\\n" + email), computed on the site\'s '
                "server; leave user_id out for anonymous visitors.",
            )
        visitor = f"user:{body.user_id}"
    else:
        visitor = f"visitor:{secrets.token_urlsafe(12)}"
    token = secrets.token_urlsafe(32)
    async with db.connection(request.app[keys.POOL]) as conn:
        await conn.execute(_INSERT, _hash(token), account.id, visitor, body.name,
                           primary_language(body.language),
                           body.email.lower() if body.email else None)  # fmt: skip
    return web.json_response({"token": token, "visitor_id": visitor}, status=201)


@cors
async def post_message(request: web.Request) -> web.StreamResponse:
    account = await _account(request)
    visitor = await _visitor(request, account, _bearer(request))
    text, given, files = await message_body(request, account, visitor)
    vid = visitor["visitor_id"]
    attachments = tuple(  # the bytes go with the message; the media worker stores them
        Attachment(kind(f.mime_type), f"upload:{n}", f.mime_type, f.name, len(f.data), f.data)
        for n, f in enumerate(files)
    )
    message = InboundMessage(
        platform_message_id=f"{vid}:{given or secrets.token_hex(8)}", conversation_id=vid,
        sender_id=vid, sender_name=visitor["display_name"], sent_at=datetime.now(UTC),
        kind="text" if text or not attachments else attachments[0].kind,
        text=clean_text(text) if text else None, attachments=attachments,
        language=visitor["language"], verified_email=visitor["verified_email"],
    )  # fmt: skip
    outcome = await request.app[keys.COMMITTER].submit(
        IngestUnit(account, InboundBatch(messages=[message]))
    )
    answer: dict[str, Any] = {"stored": outcome.stored, "duplicates": outcome.duplicates}
    if outcome.stored:  # where the widget places the message among the replies
        answer["sent_at"] = message.sent_at.isoformat()
    return web.json_response(answer, status=201 if outcome.stored else 200)


@cors
async def history(request: web.Request) -> web.StreamResponse:
    account = await _account(request)
    visitor = await _visitor(request, account, _bearer(request))
    async with db.connection(request.app[keys.POOL]) as conn:
        rows = await conn.fetch(_HISTORY, account.id, visitor["visitor_id"], 200)
    base = request.app[keys.SETTINGS].public_url
    mine = f"{visitor['visitor_id']}:"  # the visitor's messages: the widget's own id after it
    return web.json_response({"items": [
        {"id": r["id"], "from": "you" if r["direction"] == "inbound" else "agent",
         "client_id": r["platform_message_id"].removeprefix(mine)
                      if r["direction"] == "inbound" else None,
         "text": r["text"], "sent_at": r["sent_at"].isoformat(),
         "files": [{"url": link(base, f["id"], f["token"], f["name"], f["mime_type"]),
                    "name": f["name"], "mime_type": f["mime_type"]} for f in r["files"]]
                  if r["direction"] == "outbound" else  # the visitor's own: named, no link
                  [{"url": None, "name": a.get("name"), "mime_type": a.get("mime_type")}
                   for a in r["attachments"]]}
        for r in rows
    ]})  # fmt: skip


@cors
async def events(request: web.Request) -> web.StreamResponse:
    """Replies as they are sent, as Server-Sent Events (EventSource cannot send headers, so the
    token comes in the query string)."""
    account = await _account(request)
    visitor = await _visitor(request, account, request.query.get("token"))
    pubsub = request.app[keys.REDIS].pubsub()
    channel = constants.WEBCHAT_CHANNEL.format(
        account_id=account.id, visitor_id=visitor["visitor_id"]
    )
    await pubsub.subscribe(channel)
    response = web.StreamResponse(headers={
        "Content-Type": "text/event-stream", "Cache-Control": "no-cache",
        "X-Accel-Buffering": "no",
    })  # fmt: skip
    origin = request.headers.get("Origin")
    if origin is not None:
        response.headers.update(_cors_headers(origin))
    await response.prepare(request)
    await response.write(b": connected\n\n")
    last = time.monotonic()
    try:
        while True:
            msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            if msg is not None:
                await response.write(b"event: message\ndata: " + msg["data"] + b"\n\n")
                last = time.monotonic()
            elif time.monotonic() - last > KEEPALIVE_S:
                await response.write(b": keepalive\n\n")
                last = time.monotonic()
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        with contextlib.suppress(Exception):
            await pubsub.aclose()  # type: ignore[no-untyped-call]
    return response


async def widget(request: web.Request) -> web.StreamResponse:
    """The embeddable widget (a plain script: no build step, no dependencies)."""
    return web.Response(body=WIDGET.read_bytes(), content_type="application/javascript",
                        headers={"Cache-Control": "public, max-age=300",
                                 "Access-Control-Allow-Origin": "*"})  # fmt: skip
