"""Fill in what a platform's notification left out: the text of LinkedIn comments, fetched
from the socialActions API (each message once; failures are retried on the next sweep for a
week)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from yarl import URL

from contactcenter import logs
from contactcenter.channels.linkedin import comment_parts
from contactcenter.outbound.social import LINKEDIN_VERSION
from contactcenter.settings import Settings
from contactcenter.store import db
from contactcenter.store.queries import q

log = logs.get_logger(__name__)
BATCH = 20
_TEXTLESS = q("pollers.linkedin_textless")
_SET_TEXT = q("pollers.set_text")


async def linkedin_texts(ctx: dict[str, Any]) -> int:
    settings: Settings = ctx["settings"]
    base = settings.linkedin_api_url.rstrip("/")
    filled = 0
    async with db.connection(ctx["pool"]) as conn:
        for row in await conn.fetch(_TEXTLESS, BATCH):
            parts = comment_parts(row["reply_to_platform_id"])
            if parts is None:
                continue
            target, comment_id = parts
            url = URL(
                f"{base}/rest/socialActions/{quote(target, safe='')}/comments/{comment_id}",
                encoded=True,
            )
            headers = {
                "Authorization": f"Bearer {row['credentials'].get('access_token', '')}",
                "LinkedIn-Version": LINKEDIN_VERSION,
                "X-Restli-Protocol-Version": "2.0.0",
            }
            try:
                async with ctx["http"].get(url, headers=headers) as resp:
                    data = await resp.json(content_type=None) if resp.status < 300 else None
            except Exception:  # the next sweep tries again
                log.warning("enrich.linkedin_failed", message_id=row["id"], exc_info=True)
                continue
            text = ((data or {}).get("message") or {}).get("text")
            if text:
                await conn.execute(_SET_TEXT, row["id"], str(text))
                filled += 1
    return filled
