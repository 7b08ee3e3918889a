"""GET /api/v1/media/{id}: an attachment, for users who may open its ticket.
GET /files/{id}/{token}: a file an agent sent, for the platform (or web chat visitor) that
fetches it; no sign-in, the unguessable token until it expires."""

from __future__ import annotations

import hmac
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import aiohttp
from aiohttp import web

from contactcenter import keys
from contactcenter.actions.tickets import check_ticket
from contactcenter.api.http import path_int
from contactcenter.errors import ApiError, ErrorCode
from contactcenter.media.store import LocalStore, make_store
from contactcenter.store import db
from contactcenter.store.queries import q

_GET = q("media.get")
_BY_LINK = q("media.by_link")
INLINE = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp", "audio/mpeg",
                    "audio/ogg", "audio/aac", "audio/mp4", "video/mp4", "video/3gpp",
                    "application/pdf", "text/plain"})  # fmt: skip


async def get_media(request: web.Request) -> web.StreamResponse:
    media_id = path_int(request, "media_id", "media")
    async with db.connection(request.app[keys.POOL]) as conn:
        row = await conn.fetchrow(_GET, media_id)
        if row is None:
            raise ApiError(ErrorCode.NOT_FOUND, f"No media with id {media_id}.")
        await check_ticket(conn, request[keys.USER], row["ticket_id"])  # 403 for other teams
    if row["status"] != "stored":
        raise ApiError(ErrorCode.NOT_FOUND,
                       f"Media {media_id} is {row['status']}, not downloadable.")  # fmt: skip
    return await _serve(request, media_id, row)


async def get_link(request: web.Request) -> web.StreamResponse:
    media_id = path_int(request, "media_id", "file")
    async with db.connection(request.app[keys.POOL]) as conn:
        row = await conn.fetchrow(_BY_LINK, media_id)
    given = request.match_info["token"].encode()
    token = (row["link_token"] or "").encode() if row is not None else b""
    if not token or not hmac.compare_digest(given, token) or row["status"] != "stored":
        raise ApiError(ErrorCode.NOT_FOUND, "No such file; check the link.")
    if row["link_until"] < datetime.now(UTC):
        raise ApiError(ErrorCode.NOT_FOUND,
                       "This link has expired; ask the sender for the file again.")  # fmt: skip
    return await _serve(request, media_id, row)


async def _serve(request: web.Request, media_id: int, row: Any) -> web.StreamResponse:
    store = make_store(request.app[keys.SETTINGS])
    name = (row["name"] or f"media-{media_id}").replace('"', "")
    plain = name.encode("ascii", "replace").decode().replace("?", "_")  # for old clients
    mime = row["mime_type"] or "application/octet-stream"
    shown = mime.split(";")[0] in INLINE  # pictures, sound, video, PDF: shown in the browser
    headers = {
        "Content-Type": mime,
        "Content-Disposition": f'{"inline" if shown else "attachment"}; filename="{plain}"; '
                               f"filename*=UTF-8''{quote(name)}",
        "X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=3600",
        # A customer's file runs nothing on our origin (an SVG or HTML with script included).
        "Content-Security-Policy": "default-src 'none'; img-src 'self'; media-src 'self'; "
                                   "style-src 'unsafe-inline'; sandbox",
    }  # fmt: skip
    gone = ApiError(ErrorCode.NOT_FOUND, f"File {media_id} is no longer in the media store.")
    if isinstance(store, LocalStore):
        path = store.path(row["storage_key"])
        if not path.is_file():
            raise gone
        return web.FileResponse(path, headers=headers)
    try:
        data = await store.get(row["storage_key"])
    except FileNotFoundError as exc:  # deleted: not worth asking again
        raise gone from exc
    except (OSError, aiohttp.ClientError, TimeoutError) as exc:
        raise ApiError(
            ErrorCode.STORE_UNAVAILABLE,
            f"The media store did not answer ({exc}); try again in a minute.",
        ) from exc
    return web.Response(body=data, headers=headers)
