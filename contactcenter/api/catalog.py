"""Handlers for brands, teams, queues and channel accounts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from aiohttp import web

from contactcenter import keys, live
from contactcenter.actions import catalog as actions
from contactcenter.api.http import (
    decode_cursor,
    encode_cursor,
    json_response,
    parse_body,
    parse_query,
    path_uuid,
)
from contactcenter.api.schemas import (
    AccountListQuery,
    BrandIn,
    BrandOut,
    ChannelAccountIn,
    ChannelAccountOut,
    PageQuery,
    TeamIn,
    TeamOut,
)
from contactcenter.api.schemas_routing import QueueIn, QueueListQuery, QueueOut, QueuePatch
from contactcenter.errors import ApiError, ErrorCode
from contactcenter.models import Brand, ChannelAccount, Queue
from contactcenter.store import catalog, db
from contactcenter.store.catalog import Keyset


def _keyset(cursor: str | None) -> Keyset:
    values = decode_cursor(cursor)
    if values is None:
        return None
    try:
        return datetime.fromisoformat(values[0]), UUID(values[1])
    except (IndexError, TypeError, ValueError):
        raise ApiError(ErrorCode.INVALID_CURSOR, "The cursor is not one this API issued.") from None


def _next(rows: Sequence[Brand | Queue | ChannelAccount], limit: int) -> str | None:
    if len(rows) < limit:
        return None
    last = rows[-1]
    return encode_cursor([last.created_at.isoformat(), str(last.id)])


async def create_brand(request: web.Request) -> web.Response:
    body = await parse_body(request, BrandIn)
    async with db.connection(request.app[keys.POOL]) as conn:
        brand = await actions.do_create_brand(conn, body.name)
    return json_response(BrandOut.model_validate(brand), status=201)


async def list_brands(request: web.Request) -> web.Response:
    query = parse_query(request, PageQuery)
    async with db.connection(request.app[keys.POOL]) as conn:
        rows = await catalog.list_brands(conn, _keyset(query.cursor), query.limit)
    items = [BrandOut.model_validate(b).model_dump(mode="json") for b in rows]
    return json_response({"items": items, "next_cursor": _next(rows, query.limit)})


async def create_team(request: web.Request) -> web.Response:
    body = await parse_body(request, TeamIn)
    async with db.connection(request.app[keys.POOL]) as conn:
        team = await actions.do_create_team(conn, body.name)
    return json_response(TeamOut.model_validate(team), status=201)


async def list_teams(request: web.Request) -> web.Response:
    async with db.connection(request.app[keys.POOL]) as conn:
        rows = await catalog.list_teams(conn)
    items = [TeamOut.model_validate(t).model_dump(mode="json") for t in rows]
    return json_response({"items": items, "next_cursor": None})


async def create_queue(request: web.Request) -> web.Response:
    body = await parse_body(request, QueueIn)
    async with db.connection(request.app[keys.POOL]) as conn:
        queue = await actions.do_create_queue(conn, body)
    return json_response(QueueOut.model_validate(queue), status=201)


async def get_queue(request: web.Request) -> web.Response:
    queue_id = path_uuid(request, "queue_id", "queue")
    async with db.connection(request.app[keys.POOL]) as conn:
        queue = await catalog.get_queue(conn, queue_id)
    if queue is None:
        raise ApiError(ErrorCode.NOT_FOUND, f"No queue with id {queue_id}.")
    return json_response(QueueOut.model_validate(queue))


async def list_queues(request: web.Request) -> web.Response:
    query = parse_query(request, QueueListQuery)
    async with db.connection(request.app[keys.POOL]) as conn:
        rows = await catalog.list_queues(conn, query.brand_id, _keyset(query.cursor), query.limit)
    items = [QueueOut.model_validate(q).model_dump(mode="json") for q in rows]
    return json_response({"items": items, "next_cursor": _next(rows, query.limit)})


async def update_queue(request: web.Request) -> web.Response:
    """Change routing settings; the queue's waiting tickets are routed again at once."""
    queue_id = path_uuid(request, "queue_id", "queue")
    body = await parse_body(request, QueuePatch)
    async with db.connection(request.app[keys.POOL]) as conn:
        queue = await actions.do_update_queue(conn, queue_id, body)
    await live.request_routing(request.app[keys.REDIS], queue.id)
    if "sla_policy_id" in body.model_fields_set:
        await live.request_sla(request.app[keys.REDIS])
    return json_response(QueueOut.model_validate(queue))


def account_out(request: web.Request, account: ChannelAccount) -> ChannelAccountOut:
    base = request.app[keys.SETTINGS].public_url.rstrip("/")
    return ChannelAccountOut(
        id=account.id,
        brand_id=account.brand_id,
        channel=account.channel,
        name=account.name,
        queue_id=account.queue_id,
        created_at=account.created_at,
        webhook_url=f"{base}/webhooks/{account.channel}/{account.id}",
        credentials_set=sorted(account.credentials),
    )


async def create_account(request: web.Request) -> web.Response:
    body = await parse_body(request, ChannelAccountIn)
    async with db.connection(request.app[keys.POOL]) as conn:
        account = await actions.do_create_account(conn, body)
    return json_response(account_out(request, account), status=201)


async def get_account(request: web.Request) -> web.Response:
    account_id = path_uuid(request, "account_id", "channel account")
    async with db.connection(request.app[keys.POOL]) as conn:
        account = await catalog.get_account(conn, account_id)
    if account is None:
        raise ApiError(ErrorCode.NOT_FOUND, f"No channel account with id {account_id}.")
    return json_response(account_out(request, account))


async def list_accounts(request: web.Request) -> web.Response:
    query = parse_query(request, AccountListQuery)
    async with db.connection(request.app[keys.POOL]) as conn:
        rows = await catalog.list_accounts(conn, query.brand_id, _keyset(query.cursor), query.limit)
    items = [account_out(request, a).model_dump(mode="json") for a in rows]
    return json_response({"items": items, "next_cursor": _next(rows, query.limit)})
