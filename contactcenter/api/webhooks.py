"""`GET|POST /webhooks/{channel}/{account_id}`: the platforms' way in.

POST: find the account → read the body (413 past the limit) → verify the signature on the raw
bytes → parse into the common model → store in a group commit → 200 only after COMMIT.
"""

from __future__ import annotations

from aiohttp import web

from contactcenter import keys, logs
from contactcenter.actions.ingest import IngestUnit
from contactcenter.api.http import active_account, json_response
from contactcenter.channels.base import Channel
from contactcenter.channels.registry import get_channel
from contactcenter.models import ChannelAccount

log = logs.get_logger(__name__)


async def _account(request: web.Request) -> tuple[Channel, ChannelAccount]:
    channel = get_channel(request.match_info["channel"])
    account = await active_account(
        request, channel.name, f"{channel.name} channel account",
        " Use the webhook_url that POST /api/v1/channel-accounts returned.",
    )  # fmt: skip
    logs.bind(channel=channel.name, account_id=str(account.id))
    return channel, account


async def handshake(request: web.Request) -> web.Response:
    channel, account = await _account(request)
    body = channel.handshake(account, request.query)
    log.info("webhook.handshake_ok")
    content_type = getattr(channel, "handshake_content_type", "text/plain")  # X wants JSON
    return web.Response(text=body, content_type=content_type)


async def receive(request: web.Request) -> web.Response:
    channel, account = await _account(request)
    body = await request.read()
    public = request.app[keys.SETTINGS].public_url.rstrip("/") + request.path_qs
    channel.verify(account, request.headers, body, public)
    if getattr(channel, "content_types", False):  # e-mail forms: urlencoded or multipart
        batch = channel.parse_typed(account, body, request.headers.get("Content-Type", ""))  # type: ignore[attr-defined]
    else:
        batch = channel.parse(account, body)
    outcome = await request.app[keys.COMMITTER].submit(IngestUnit(account, batch))
    if batch.ignored:
        log.info("webhook.ignored_events", kinds=sorted(set(batch.ignored)))
    log.debug(
        "webhook.stored",
        stored=outcome.stored,
        duplicates=outcome.duplicates,
        receipts=outcome.receipts,
        echoes=batch.echoes,
        tickets=outcome.ticket_ids,
    )
    # a platform that wants its own answer: Slack's challenge, Twilio's TwiML
    ack = batch.answer or getattr(channel, "ack", None)
    if ack is not None:
        return web.Response(text=ack[1], content_type=ack[0])
    return json_response(
        {
            "stored": outcome.stored,
            "duplicates": outcome.duplicates,
            "statuses": outcome.receipts,
            "ignored": len(batch.ignored) + batch.echoes,
        }
    )
