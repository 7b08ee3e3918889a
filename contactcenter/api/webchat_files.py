"""A web chat visitor's message body: JSON {text, id}, or multipart with `text`, `id` and up to
ten `file` parts. Visitors are anonymous, so messages are bounded: MESSAGES_PER_VISITOR an hour
per visitor and MESSAGES_PER_ADDRESS per address (far above what people type). Files are
bounded three ways more: the account decides whether visitors may send files at all
(credential `visitor_files`: "on", "verified" for signed-in users of the site only, or "off");
CC_WEBCHAT_MAX_BYTES per message; and at most FILES_PER_VISITOR messages with files per visitor
and FILES_PER_ADDRESS per address an hour. Every count is per chat account.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import Field

from contactcenter import keys
from contactcenter.api import uploads
from contactcenter.api.http import parse_body
from contactcenter.api.schemas import In
from contactcenter.errors import ApiError, ErrorCode
from contactcenter.media.fetch import Limits
from contactcenter.models import ChannelAccount
from contactcenter.web.session import client_address, over_limit

MESSAGES_PER_VISITOR = 120  # any messages, per hour
MESSAGES_PER_ADDRESS = 600  # an office or a carrier's address is shared by many visitors
FILES_PER_VISITOR = 20  # messages with files, per hour
FILES_PER_ADDRESS = 60
STARTS_PER_ADDRESS = 30  # new conversations (visitor tokens) per address, per hour
WINDOW_S = 3600
SETTING = "CC_WEBCHAT_MAX_BYTES"


class ChatMessageIn(In):
    text: str = Field(min_length=1, max_length=4096)
    id: str | None = Field(
        default=None, min_length=1, max_length=100,
        description="the widget's id for this message (a resend is stored once)",
    )  # fmt: skip


async def message_body(
    request: web.Request, account: ChannelAccount, visitor: Any
) -> tuple[str, str | None, list[uploads.Upload]]:
    """The visitor's text, the widget's id for the message, and the files."""
    await _throttle(request, account, visitor["visitor_id"], "chatmsg",
                    (MESSAGES_PER_VISITOR, MESSAGES_PER_ADDRESS),
                    "Too many messages from here in the last hour; wait a few minutes, "
                    "then write again.")  # fmt: skip
    if request.content_type != "multipart/form-data":
        body = await parse_body(request, ChatMessageIn)
        return body.text, body.id, []
    _may_send_files(account, visitor["visitor_id"])
    settings = request.app[keys.SETTINGS]
    await _throttle(request, account, visitor["visitor_id"], "chatfiles",
                    (FILES_PER_VISITOR, FILES_PER_ADDRESS),
                    "Too many files from here in the last hour; send text, or try again "
                    "later.")  # fmt: skip
    limits = Limits(settings.webchat_max_bytes, tuple(settings.media_types.split(",")))
    fields, files = await uploads.read_form(request, limits, ("text", "id"), SETTING)
    given = fields.get("id") or None
    if given is not None and len(given) > 100:
        raise ApiError(ErrorCode.VALIDATION_FAILED, "id may be 100 characters at most.")
    return fields.get("text", ""), given, files


def _may_send_files(account: ChannelAccount, visitor_id: str) -> None:
    allowed = str(account.credentials.get("visitor_files") or "on")
    if allowed == "off" or (allowed == "verified" and not visitor_id.startswith("user:")):
        who = "visitors" if allowed == "off" else "anonymous visitors"
        raise ApiError(
            ErrorCode.FORBIDDEN,
            f"This chat does not take files from {who}; send the message as text.",
        )


async def _throttle(request: web.Request, account: ChannelAccount, visitor_id: str, kind: str,
                    limits: tuple[int, int], refusal: str) -> None:  # fmt: skip
    """Counted before the body is read: a refused sender uploads nothing."""
    per_visitor, per_address = limits
    counters = {f"cc:{kind}:{account.id}:visitor:{visitor_id}": per_visitor,
                f"cc:{kind}:{account.id}:addr:{client_address(request)}": per_address}  # fmt: skip
    if await over_limit(request, counters, WINDOW_S):
        raise ApiError(ErrorCode.RATE_LIMITED, refusal)
