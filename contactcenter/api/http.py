"""Request parsing and JSON responses shared by every handler."""

from __future__ import annotations

import base64
import binascii
from typing import Any, TypeVar
from uuid import UUID

import orjson
from aiohttp import web
from pydantic import BaseModel, ValidationError

from contactcenter import keys
from contactcenter.errors import ApiError, ErrorCode
from contactcenter.models import ChannelAccount

M = TypeVar("M", bound=BaseModel)


def json_response(data: BaseModel | dict[str, Any], status: int = 200) -> web.Response:
    body = (
        data.model_dump_json(by_alias=True).encode()
        if isinstance(data, BaseModel)
        else orjson.dumps(data)
    )
    return web.Response(body=body, status=status, content_type="application/json")


def validation_message(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors(include_input=False)[:5]:
        where = ".".join(str(p) for p in err["loc"]) or "body"
        parts.append(f"{where}: {err['msg']}")
    return "Invalid request: " + "; ".join(parts) + "."


async def parse_body(request: web.Request, model: type[M]) -> M:
    """The JSON body validated against `model`; 400 with the offending fields otherwise."""
    body = await request.read()
    if not body:
        raise ApiError(ErrorCode.INVALID_JSON, "The request body is empty; send a JSON object.")
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            raise ApiError(ErrorCode.INVALID_JSON, "The request body is not valid JSON.") from exc
        raise ApiError(ErrorCode.VALIDATION_FAILED, validation_message(exc)) from exc


def parse_query(request: web.Request, model: type[M]) -> M:
    try:
        return model.model_validate(dict(request.query))
    except ValidationError as exc:
        raise ApiError(ErrorCode.VALIDATION_FAILED, validation_message(exc)) from exc


def path_uuid(request: web.Request, name: str, what: str) -> UUID:
    try:
        return UUID(request.match_info[name])
    except ValueError:
        raise ApiError(
            ErrorCode.NOT_FOUND, f"No {what} with id {request.match_info[name]!r}."
        ) from None


def path_int(request: web.Request, name: str, what: str) -> int:
    raw = request.match_info[name]
    if not raw.isdigit() or len(raw) > 18:
        raise ApiError(ErrorCode.NOT_FOUND, f"No {what} with id {raw!r}.")
    return int(raw)


def encode_cursor(value: list[Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(value)).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> list[Any] | None:
    """The values packed by `encode_cursor`, or None without a cursor; 400 if it was tampered."""
    if not cursor:
        return None
    try:
        value = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError):
        value = None
    if not isinstance(value, list):
        raise ApiError(
            ErrorCode.INVALID_CURSOR,
            "The cursor is not one this API issued. "
            "Pass next_cursor from the previous page unchanged.",
        )
    return value


async def active_account(
    request: web.Request, channel: str, what: str = "", hint: str = ""
) -> ChannelAccount:
    """The enabled `channel` account the path names ({account_id}); 404 unknown_account else."""
    raw = request.match_info["account_id"]
    try:
        account_id: UUID | None = UUID(raw)
    except ValueError:
        account_id = None
    account = await request.app[keys.ACCOUNTS].get(account_id) if account_id else None
    if account is None or account.channel != channel or account.disabled_at is not None:
        raise ApiError(
            ErrorCode.UNKNOWN_ACCOUNT, f"No active {what or channel + ' account'} {raw!r}.{hint}"
        )
    return account
