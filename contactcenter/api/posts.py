"""Handlers for replies and notes on a ticket: JSON {text, template}, or multipart/form-data
with a `text` field and `file` parts (api/uploads.py).

Everything that can be refused is checked before a file is stored: the ticket (404/403), the
body's size, the channel's rules for files (outbound/files.py), a closed ticket and the reply
windows. Files that were stored for a post that then fails are deleted again.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import aiohttp
from aiohttp import web

from contactcenter import keys, live, logs
from contactcenter.actions import replies
from contactcenter.actions import tickets as actions
from contactcenter.api import uploads
from contactcenter.api.http import json_response, parse_body, path_int
from contactcenter.api.schemas import PostIn
from contactcenter.api.tickets import after_commit, media_of, message_out
from contactcenter.errors import ApiError, ErrorCode
from contactcenter.media.fetch import Limits
from contactcenter.media.store import MediaStore, make_store
from contactcenter.outbound import files as outfiles
from contactcenter.store import catalog, db

log = logs.get_logger(__name__)


async def post_message(request: web.Request) -> web.Response:
    """A public reply: queued for delivery through the ticket's channel; meets the SLA."""
    return await _post(request, note=False)


async def post_note(request: web.Request) -> web.Response:
    """An internal note: visible to the team only, never sent."""
    return await _post(request, note=True)


async def _post(request: web.Request, *, note: bool) -> web.Response:
    ticket_id = path_int(request, "ticket_id", "ticket")
    settings = request.app[keys.SETTINGS]
    user, pool = request[keys.USER], request.app[keys.POOL]
    async with db.connection(pool) as conn:  # before the body is read: 404/403 first
        ticket = await actions.check_ticket(conn, user, ticket_id)
        account = await catalog.get_account(conn, ticket.channel_account_id)
    template: dict[str, Any] | None = None
    if request.content_type == "multipart/form-data":
        limits = Limits(settings.media_max_bytes, tuple(settings.media_types.split(",")))
        text, files = await uploads.read_post(request, limits)
    else:
        body = await parse_body(request, PostIn)
        text, files = body.text, []
        template = body.template.model_dump(exclude_defaults=False) if body.template else None
    if note and template:
        raise ApiError(ErrorCode.VALIDATION_FAILED, "A note cannot carry a template.")
    replies.precheck(ticket, note=note, template=template, now=datetime.now(UTC))
    rules = outfiles.rule_key(ticket.channel, account.credentials if account else {})
    described = [(f.name, f.mime_type, len(f.data)) for f in files]
    conversation = ticket.platform_conversation_id or ""
    if not note and (why := outfiles.refusal(rules, conversation, described, text)):
        raise ApiError(ErrorCode.CHANNEL_RULE, why)
    store = make_store(settings)
    stored = await _store(store, ticket.brand_id, files)
    posted = None
    try:
        async with db.connection(pool) as conn:
            posted = await replies.do_post(
                conn, user, ticket, text, note=note, template=template, files=stored,
                link_days=settings.media_link_days,
            )  # fmt: skip
            media = await media_of(conn, [posted.message])
    except ApiError:  # refused inside the transaction: no message names the files
        await _forget(store, stored)
        raise
    except BaseException:
        if posted is None:  # committed or not is unknown: the files stay (an orphan at worst)
            log.warning("media.post_failed_files_kept", keys=[f.key for f in stored])
        raise
    await after_commit(request, actions.TicketChange(events=posted.events, fire_at=posted.fire_at))
    if not note:
        try:
            await live.schedule_delivery(request.app[keys.REDIS], posted.message.id, 1)
        except Exception:  # the sweep sends it within seconds
            log.warning("tickets.delivery_request_failed", message_id=posted.message.id,
                        exc_info=True)  # fmt: skip
    return json_response(message_out(posted.message, media), status=201 if note else 202)


async def _store(
    store: MediaStore, brand_id: object, files: list[uploads.Upload]
) -> list[replies.StoredFile]:
    """Each file into the media store (before the message's transaction, which names them);
    if one cannot be stored, the ones before it are deleted again."""
    stored: list[replies.StoredFile] = []
    for f in files:
        try:
            key = await store.put(brand_id, f.data, f.mime_type)
        except (OSError, aiohttp.ClientError, TimeoutError) as exc:
            await _forget(store, stored)
            raise ApiError(ErrorCode.STORE_UNAVAILABLE,
                           f"The media store did not take {f.name} ({exc}); try again in a "
                           "minute.") from exc  # fmt: skip
        stored.append(replies.StoredFile(f.name, f.mime_type, len(f.data), key))
    return stored


async def _forget(store: MediaStore, stored: list[replies.StoredFile]) -> None:
    for f in stored:
        try:
            await store.delete(f.key)
        except (OSError, aiohttp.ClientError, TimeoutError):
            log.warning("media.orphan_left", key=f.key, exc_info=True)
