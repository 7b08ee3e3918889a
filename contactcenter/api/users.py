"""Handlers for users and the signed-in user."""

from __future__ import annotations

from aiohttp import web

from contactcenter import keys
from contactcenter.actions import users as actions
from contactcenter.api.http import (
    decode_cursor,
    encode_cursor,
    json_response,
    parse_body,
    parse_query,
    path_uuid,
)
from contactcenter.api.schemas import PageQuery, UserCreated, UserIn, UserOut, UserPatch
from contactcenter.errors import ApiError, ErrorCode
from contactcenter.store import db
from contactcenter.store import users as store


async def create_user(request: web.Request) -> web.Response:
    body = await parse_body(request, UserIn)
    async with db.connection(request.app[keys.POOL]) as conn:
        user, token = await actions.do_create_user(conn, body)
    return json_response(
        UserCreated(**UserOut.model_validate(user).model_dump(), token=token), status=201
    )


async def list_users(request: web.Request) -> web.Response:
    query = parse_query(request, PageQuery)
    cursor = decode_cursor(query.cursor)
    after = str(cursor[0]) if cursor else None
    async with db.connection(request.app[keys.POOL]) as conn:
        rows = await store.list_users(conn, after, query.limit)
    items = [UserOut.model_validate(u).model_dump(mode="json") for u in rows]
    more = encode_cursor([rows[-1].email.lower()]) if len(rows) == query.limit else None
    return json_response({"items": items, "next_cursor": more})


async def get_user(request: web.Request) -> web.Response:
    user_id = path_uuid(request, "user_id", "user")
    async with db.connection(request.app[keys.POOL]) as conn:
        user = await store.get_user(conn, user_id)
    if user is None:
        raise ApiError(ErrorCode.NOT_FOUND, f"No user with id {user_id}.")
    return json_response(UserOut.model_validate(user))


async def update_user(request: web.Request) -> web.Response:
    user_id = path_uuid(request, "user_id", "user")
    body = await parse_body(request, UserPatch)
    async with db.connection(request.app[keys.POOL]) as conn:
        user = await actions.do_update_user(conn, user_id, body)
    return json_response(UserOut.model_validate(user))


async def me(request: web.Request) -> web.Response:
    return json_response(UserOut.model_validate(request[keys.USER]))
