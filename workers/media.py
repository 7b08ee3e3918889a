"""The media job: discover new attachments, fetch them into the store (safe to run twice:
each row is claimed with SKIP LOCKED)."""

from __future__ import annotations

from typing import Any

from contactcenter import logs
from contactcenter.actions import media
from contactcenter.media.fetch import Limits
from contactcenter.media.outside import Outside
from contactcenter.media.store import make_store
from contactcenter.settings import Settings
from contactcenter.store import db

log = logs.get_logger(__name__)
PER_PASS = 50


async def fetch_media(ctx: dict[str, Any]) -> dict[str, int]:
    settings: Settings = ctx["settings"]
    async with db.connection(ctx["pool"]) as conn:
        await media.do_discover(conn)
    store = make_store(settings)
    limits = Limits(settings.media_max_bytes, tuple(settings.media_types.split(",")))
    ends = {"graph": settings.graph_api_url, "telegram": settings.telegram_api_url,
            "line_data": settings.line_data_url, "x_ton": settings.x_ton_url,
            "slack_files": settings.slack_files_url}  # fmt: skip
    counts: dict[str, int] = {}
    async with Outside(settings.media_allowed_networks) as outside:
        for _ in range(PER_PASS):
            outcome = await media.do_fetch_one(ctx["pool"], ctx["http"], store, limits, ends,
                                               outside)  # fmt: skip
            if outcome is None:
                break
            counts[outcome] = counts.get(outcome, 0) + 1
    if counts:
        log.info("media.fetched", **counts)
    return counts
