"""What the dashboards need beyond the plain resources: an agent's tickets by SLA urgency, a
queue's waiting list, the user's language, and the admin's connection check."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

import aiohttp
from aiohttp import web
from pydantic import Field

from contactcenter import keys
from contactcenter.actions.tickets import may_see
from contactcenter.api.http import json_response, parse_body, parse_query, path_uuid
from contactcenter.api.schemas import In
from contactcenter.api.tickets import tickets_out
from contactcenter.channels.registry import get_channel
from contactcenter.errors import ApiError, ErrorCode
from contactcenter.outbound.probe import probe
from contactcenter.store import catalog, db
from contactcenter.store import sessions as session_store
from contactcenter.store.queries import q
from contactcenter.store.tickets import ticket_from_row

_MINE = q("workspace.my_tickets")
_WAITING = q("workspace.waiting")
_LAST_INBOUND = q("workspace.last_inbound")


class ListQuery(In):
    limit: int = Field(default=100, ge=1, le=200)


class MePatch(In):
    language: Literal["en", "de"]


async def my_tickets(request: web.Request) -> web.Response:
    query = parse_query(request, ListQuery)
    async with db.connection(request.app[keys.POOL]) as conn:
        rows = [ticket_from_row(r) for r in await conn.fetch(_MINE, request[keys.USER].id,
                                                              query.limit)]  # fmt: skip
        items = [t.model_dump(mode="json") for t in await tickets_out(conn, rows)]
    return json_response({"items": items, "next_cursor": None})


async def waiting(request: web.Request) -> web.Response:
    queue_id = path_uuid(request, "queue_id", "queue")
    query = parse_query(request, ListQuery)
    async with db.connection(request.app[keys.POOL]) as conn:
        queue = await catalog.get_queue(conn, queue_id)
        if queue is None:
            raise ApiError(ErrorCode.NOT_FOUND, f"No queue with id {queue_id}.")
        if not may_see(request[keys.USER], queue.team_id, None):
            raise ApiError(ErrorCode.FORBIDDEN, "This queue belongs to another team.")
        rows = [ticket_from_row(r) for r in await conn.fetch(_WAITING, queue_id, query.limit)]
        items = [t.model_dump(mode="json") for t in await tickets_out(conn, rows)]
    return json_response({"items": items, "next_cursor": None})


async def patch_me(request: web.Request) -> web.Response:
    body = await parse_body(request, MePatch)
    async with db.connection(request.app[keys.POOL]) as conn:
        await session_store.set_language(conn, request[keys.USER].id, body.language)
    return json_response({"language": body.language})


async def check_account(request: web.Request) -> web.Response:
    account_id = path_uuid(request, "account_id", "channel account")
    settings = request.app[keys.SETTINGS]
    async with db.connection(request.app[keys.POOL]) as conn:
        account = await catalog.get_account(conn, account_id)
        if account is None:
            raise ApiError(ErrorCode.NOT_FOUND, f"No channel account with id {account_id}.")
        last: datetime | None = await conn.fetchval(_LAST_INBOUND, account_id)
    channel = get_channel(account.channel)
    missing = [c for c in channel.required_credentials if not account.credentials.get(c)]
    ends = {"telegram": settings.telegram_api_url, "graph": settings.graph_api_url,
            "slack": settings.slack_api_url, "viber": settings.viber_api_url,
            "line": settings.line_api_url, "twilio": settings.twilio_api_url}  # fmt: skip
    live, detail = (False, "credentials missing") if missing else (None, "")
    if not missing:
        async with aiohttp.ClientSession() as http:
            live, detail = await probe(http, account.channel, account.credentials, ends)
    return json_response({
        "ok": not missing and live is not False, "missing_credentials": missing,
        "platform": {"ok": live, "detail": detail},
        "last_inbound_at": last.isoformat() if last else None,
        "checked_at": datetime.now(UTC).isoformat(),
    })  # fmt: skip
