"""Handlers for SLA policies and the newsfeed of ticket and SLA events."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg
from aiohttp import web
from pydantic import Field

from contactcenter import keys, live
from contactcenter.actions.catalog import check_brand
from contactcenter.api.http import (
    decode_cursor,
    encode_cursor,
    json_response,
    parse_body,
    parse_query,
    path_uuid,
)
from contactcenter.api.schemas import Out, PageQuery
from contactcenter.api.schemas_sla import (
    SlaPolicyIn,
    SlaPolicyListQuery,
    SlaPolicyOut,
    SlaPolicyPatch,
)
from contactcenter.errors import ApiError, ErrorCode
from contactcenter.models import Role
from contactcenter.store import db
from contactcenter.store import sla as store
from contactcenter.store.queries import q


def _out(row: Any) -> dict[str, Any]:
    return SlaPolicyOut.model_validate(dict(row)).model_dump(mode="json")


def _conflict(name: str) -> ApiError:
    return ApiError(
        ErrorCode.CONFLICT,
        f"This brand already has an SLA policy named {name!r}, or already a default policy; "
        "choose another name, or change the existing policy with PATCH.",
    )


async def create_policy(request: web.Request) -> web.Response:
    body = await parse_body(request, SlaPolicyIn)
    fields = body.model_dump(mode="json")
    async with db.connection(request.app[keys.POOL]) as conn:
        await check_brand(conn, body.brand_id)
        try:
            async with conn.transaction():
                row = await store.insert_policy(conn, fields | {"brand_id": body.brand_id})
                await store.work_for_brand(conn, body.brand_id)  # it may apply to open tickets
        except asyncpg.UniqueViolationError:
            raise _conflict(body.name) from None
    await live.request_sla(request.app[keys.REDIS])
    return json_response(_out(row), status=201)


async def update_policy(request: web.Request) -> web.Response:
    """Change a policy; the clocks of the brand's open tickets are recomputed."""
    policy_id = path_uuid(request, "policy_id", "SLA policy")
    patch = await parse_body(request, SlaPolicyPatch)
    changes = patch.model_dump(mode="json", exclude_unset=True)
    nulls = sorted(k for k, v in changes.items() if v is None)
    if nulls:
        raise ApiError(ErrorCode.VALIDATION_FAILED, f"{', '.join(nulls)} cannot be null.")
    async with db.connection(request.app[keys.POOL]) as conn:
        current = await store.get_policy(conn, policy_id)
        if current is None:
            raise ApiError(ErrorCode.NOT_FOUND, f"No SLA policy with id {policy_id}.")
        merged = dict(current) | changes
        try:
            async with conn.transaction():
                row = await store.update_policy(conn, policy_id, merged)
                await store.work_for_brand(conn, current["brand_id"])
        except asyncpg.UniqueViolationError:
            raise _conflict(merged["name"]) from None
    await live.request_sla(request.app[keys.REDIS])
    return json_response(_out(row))


async def get_policy(request: web.Request) -> web.Response:
    policy_id = path_uuid(request, "policy_id", "SLA policy")
    async with db.connection(request.app[keys.POOL]) as conn:
        row = await store.get_policy(conn, policy_id)
    if row is None:
        raise ApiError(ErrorCode.NOT_FOUND, f"No SLA policy with id {policy_id}.")
    return json_response(_out(row))


async def list_policies(request: web.Request) -> web.Response:
    query = parse_query(request, SlaPolicyListQuery)
    cursor = decode_cursor(query.cursor)
    try:
        after = UUID(cursor[0]) if cursor else None
    except (IndexError, TypeError, ValueError):
        raise ApiError(ErrorCode.INVALID_CURSOR, "The cursor is not one this API issued.") from None
    async with db.connection(request.app[keys.POOL]) as conn:
        rows = await store.list_policies(conn, query.brand_id, after, query.limit)
    more = encode_cursor([str(rows[-1]["id"])]) if len(rows) == query.limit else None
    return json_response({"items": [_out(r) for r in rows], "next_cursor": more})


# The newsfeed: what happened on tickets and to SLAs, newest first.
FEED_KINDS = [
    "ticket.created", "ticket.reopened", "ticket.updated", "ticket.assigned",
    "ticket.transferred", "ticket.escalated", "sla.warning", "sla.breached",
]  # fmt: skip
_FEED = q("sla.feed")


class FeedQuery(PageQuery):
    brand_id: UUID | None = None
    kind: str | None = Field(default=None, description="one kind, e.g. sla.breached")


class FeedItem(Out):
    id: int
    kind: str
    brand_id: UUID | None
    ticket_id: int | None
    actor_id: UUID | None
    data: dict[str, Any]
    created_at: str


async def feed(request: web.Request) -> web.Response:
    """Newest first; agents see events of the tickets they may open (DESIGN.md, invariant 5)."""
    query = parse_query(request, FeedQuery)
    cursor = decode_cursor(query.cursor)
    if cursor is not None and not (len(cursor) == 1 and isinstance(cursor[0], int)):
        raise ApiError(ErrorCode.INVALID_CURSOR, "The cursor is not one this API issued.")
    kinds = [query.kind] if query.kind else FEED_KINDS
    user = request[keys.USER]
    agent = not user.at_least(Role.SUPERVISOR)
    async with db.connection(request.app[keys.POOL]) as conn:
        rows = await conn.fetch(
            _FEED, kinds, query.brand_id, cursor[0] if cursor else None, query.limit, agent,
            user.team_id, user.id,
        )  # fmt: skip
    items = [
        FeedItem(
            id=r["id"], kind=r["kind"], brand_id=r["brand_id"], ticket_id=r["ticket_id"],
            actor_id=r["actor_user_id"], data=r["data"], created_at=r["created_at"].isoformat(),
        ).model_dump(mode="json")
        for r in rows
    ]  # fmt: skip
    more = encode_cursor([rows[-1]["id"]]) if len(rows) == query.limit else None
    return json_response({"items": items, "next_cursor": more})
