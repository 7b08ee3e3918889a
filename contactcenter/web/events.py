"""GET /api/v1/events: the dashboards' live stream (Server-Sent Events).

Supervisors and admins get every brand's events. Agents get what is theirs — their offers and
their presence — and, for other events, only the type and ticket id: enough to reload through
the API, which decides what they may see (no other team's content crosses this stream).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import orjson
from aiohttp import web

from contactcenter import constants, keys
from contactcenter.api.auth import authenticate
from contactcenter.errors import ApiError
from contactcenter.models import Role, User

KEEPALIVE_S = 15.0  # proxies close idle connections after 30-60 s
RECHECK_S = 20.0  # who is listening, looked up again; also the heartbeat (TTL 60 s)
AGENT_KEYS = ("type", "ticket_id", "message_id")


def for_user(user: User, event: dict[str, Any]) -> dict[str, Any] | None:
    """The event as this user may see it, or None."""
    if user.at_least(Role.SUPERVISOR):
        return event
    me = str(user.id)
    kind = str(event.get("type", ""))
    if kind.startswith("offer."):
        return event if event.get("agent_id") == me else None
    if kind == "presence.changed":
        return event if event.get("user_id") == me else None
    if event.get("assignee_id") == me:
        return event
    return {k: event[k] for k in AGENT_KEYS if k in event} if "ticket_id" in event else None


async def stream(request: web.Request) -> web.StreamResponse:
    """The stream stays open for hours: every RECHECK_S the user is looked up again (signed
    out, deactivated, a changed role: the stream ends or narrows), and while it is open it
    counts as the agent's heartbeat (background tabs throttle the page's own timer)."""
    user: User = request[keys.USER]
    redis = request.app[keys.REDIS]
    pubsub = redis.pubsub()
    await pubsub.psubscribe(constants.EVENTS_CHANNEL.format(brand_id="*"))
    await pubsub.subscribe(constants.AGENT_EVENTS_CHANNEL)
    response = web.StreamResponse(headers={
        "Content-Type": "text/event-stream", "Cache-Control": "no-cache",
        "X-Accel-Buffering": "no",
    })  # fmt: skip
    await response.prepare(request)
    await response.write(b"retry: 2000\n: connected\n\n")
    last = checked = time.monotonic()
    try:
        while True:
            if time.monotonic() - checked > RECHECK_S:
                checked = time.monotonic()
                try:
                    user = await authenticate(request)
                except ApiError:
                    await response.write(b"event: signed_out\ndata: {}\n\n")
                    break
                await _beat(request, user)
            msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            if msg is not None:
                events = [e for e in (for_user(user, x) for x in orjson.loads(msg["data"]))
                          if e is not None]  # fmt: skip
                if events:
                    await response.write(b"data: " + orjson.dumps(events) + b"\n\n")
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


async def _beat(request: web.Request, user: User) -> None:
    key = constants.HEARTBEAT_KEY.format(user_id=user.id)
    await request.app[keys.REDIS].set(key, "1", ex=request.app[keys.SETTINGS].heartbeat_ttl_s)
