"""Handlers for contacts: history across channels, merge, split."""

from __future__ import annotations

from uuid import UUID

from aiohttp import web
from pydantic import Field

from contactcenter import keys
from contactcenter.actions import contacts as actions
from contactcenter.api.http import json_response, parse_body, parse_query, path_uuid
from contactcenter.api.schemas import In
from contactcenter.store import db


class MergeIn(In):
    contact_id: UUID = Field(description="the contact to merge into this one (it disappears)")


class SplitIn(In):
    channel: str = Field(min_length=1, max_length=64)
    external_id: str = Field(min_length=1, max_length=512)


async def get_contact(request: web.Request) -> web.Response:
    contact_id = path_uuid(request, "contact_id", "contact")
    async with db.connection(request.app[keys.POOL]) as conn:
        view = await actions.contact_view(conn, request[keys.USER], contact_id)
    return json_response(view)


class TimelineQuery(In):
    limit: int = Field(default=50, ge=1, le=200)


async def timeline(request: web.Request) -> web.Response:
    contact_id = path_uuid(request, "contact_id", "contact")
    query = parse_query(request, TimelineQuery)
    async with db.connection(request.app[keys.POOL]) as conn:
        items = await actions.contact_timeline(conn, request[keys.USER], contact_id, query.limit)
    return json_response({"items": items, "next_cursor": None})


async def merge(request: web.Request) -> web.Response:
    contact_id = path_uuid(request, "contact_id", "contact")
    body = await parse_body(request, MergeIn)
    async with db.connection(request.app[keys.POOL]) as conn:
        await actions.do_merge(conn, request[keys.USER], contact_id, body.contact_id)
        view = await actions.contact_view(conn, request[keys.USER], contact_id)
    return json_response(view)


async def split(request: web.Request) -> web.Response:
    contact_id = path_uuid(request, "contact_id", "contact")
    body = await parse_body(request, SplitIn)
    async with db.connection(request.app[keys.POOL]) as conn:
        new = await actions.do_split(conn, request[keys.USER], contact_id, body.channel,
                                     body.external_id)  # fmt: skip
        view = await actions.contact_view(conn, request[keys.USER], new)
    return json_response(view, status=201)
