"""GET /api/v1/media/{id}: an attachment, for users who may open its ticket."""

from __future__ import annotations

from aiohttp import web

from contactcenter import keys
from contactcenter.actions.tickets import check_ticket
from contactcenter.api.http import path_int
from contactcenter.errors import ApiError, ErrorCode
from contactcenter.media.store import LocalStore
from contactcenter.store import db
from contactcenter.store.queries import q

_GET = q("media.get")


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
    path = LocalStore(request.app[keys.SETTINGS].media_dir).path(row["storage_key"])
    name = (row["name"] or f"media-{media_id}").replace('"', "")
    return web.FileResponse(path, headers={
        "Content-Type": row["mime_type"] or "application/octet-stream",
        "Content-Disposition": f'inline; filename="{name}"',
        "X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=3600",
    })  # fmt: skip
