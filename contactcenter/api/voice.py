"""Twilio Voice call flow (TwiML), every request signed like SMS (X-Twilio-Signature).

incoming     → the call becomes a ticket (voice capacity); the caller is enqueued with a
               wait message, or, when the queue is closed, asked for a voicemail
hold         → Twilio's waitUrl: position in line; past max_wait_s the caller <Leave>s
queue-result → bridged (an agent took it), hangup (abandoned in queue: a callback ticket),
               leave (nobody in time: voicemail)
voicemail    → the recording URL on the ticket, tagged for a callback
status       → the call's end and duration on the ticket
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from aiohttp import web

from contactcenter import keys, live, logs
from contactcenter.actions.ingest import IngestUnit
from contactcenter.api.http import active_account
from contactcenter.channels.base import (
    InboundBatch,
    InboundMessage,
    bad_signature,
    constant_time_equal,
)
from contactcenter.channels.twilio_sms import signature
from contactcenter.errors import ApiError, ErrorCode
from contactcenter.models import ChannelAccount
from contactcenter.routing import shifts
from contactcenter.store import db
from contactcenter.store.queries import q

log = logs.get_logger(__name__)
DEFAULT_MAX_WAIT_S = 120
_CALL_TICKET = q("voice.call_ticket")
_NOTE = q("voice.call_note")
_TAG = q("voice.tag")
_HOURS = q("voice.queue_hours")
_ANSWERED = q("voice.answered")


def twiml(*verbs: str) -> web.Response:
    body = '<?xml version="1.0" encoding="UTF-8"?><Response>' + "".join(verbs) + "</Response>"
    return web.Response(text=body, content_type="text/xml")


def say(text: str) -> str:
    return f"<Say>{escape(text)}</Say>"


async def _call(request: web.Request) -> tuple[ChannelAccount, dict[str, str]]:
    """The account and the verified form fields of a Twilio request."""
    account = await active_account(request, "twilio-voice")
    body = await request.read()
    fields = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    url = request.app[keys.SETTINGS].public_url.rstrip("/") + request.path_qs
    expected = signature(str(account.credentials.get("auth_token", "")), url, fields)
    if not constant_time_equal(request.headers.get("X-Twilio-Signature", ""), expected):
        raise bad_signature("X-Twilio-Signature does not match; check the auth_token and "
                            "that CC_PUBLIC_URL is the base URL configured in Twilio.")  # fmt: skip
    logs.bind(channel="twilio-voice", account_id=str(account.id))
    return account, dict(fields)


def _url(request: web.Request, account: ChannelAccount, step: str) -> str:
    return f"{request.app[keys.SETTINGS].public_url.rstrip('/')}/voice/{account.id}/{step}"


def _voicemail(request: web.Request, account: ChannelAccount, why: str) -> web.Response:
    return twiml(
        say(f"{why} Please leave a message after the tone; we will call you back."),
        f'<Record action="{escape(_url(request, account, "voicemail"))}" method="POST" '
        'maxLength="120" playBeep="true" trim="trim-silence"/>',
        say("We did not get a message. Goodbye."),
    )


async def incoming(request: web.Request) -> web.StreamResponse:
    account, f = await _call(request)
    caller = f.get("From") or f.get("Caller") or ""
    sid = f.get("CallSid")
    if not sid or not caller:
        raise ApiError(ErrorCode.BAD_REQUEST, "A Twilio call request needs CallSid and From.")
    message = InboundMessage(
        platform_message_id=sid, conversation_id=caller, sender_id=caller,
        sender_name=f.get("CallerName", ""), sent_at=datetime.now(UTC), kind="call",
        text=f"📞 Call from {caller} to {f.get('To', '')}",
    )  # fmt: skip
    await request.app[keys.COMMITTER].submit(IngestUnit(account, InboundBatch(messages=[message])))
    async with db.connection(request.app[keys.POOL]) as conn:
        hours = await conn.fetchval(_HOURS, account.id)
    if hours and not _open(hours):
        return _voicemail(request, account, "We are closed right now.")
    return twiml(
        say("Thanks for calling. An agent will be with you shortly."),
        f'<Enqueue action="{escape(_url(request, account, "queue-result"))}" method="POST" '
        f'waitUrl="{escape(_url(request, account, "hold"))}" waitUrlMethod="POST">'
        f"cc-{account.id.hex[:24]}</Enqueue>",
    )


def _open(hours: dict[str, Any]) -> bool:
    from contactcenter.api.schemas_routing import CalendarIn

    return shifts.is_within(CalendarIn.model_validate(hours).to_plan(), datetime.now(UTC))


async def hold(request: web.Request) -> web.StreamResponse:
    """Twilio calls this while the caller waits (and again when it finishes playing)."""
    account, f = await _call(request)
    waited = int(f.get("QueueTime") or 0)
    limit = int(account.credentials.get("max_wait_s") or DEFAULT_MAX_WAIT_S)
    if waited >= limit:
        return twiml("<Leave/>")  # queue-result gets QueueResult=leave: voicemail
    position = f.get("QueuePosition")
    where = f"You are number {position} in line. " if position else ""
    return twiml(say(f"{where}Please hold, an agent will be with you shortly."),
                 '<Pause length="10"/>')  # fmt: skip


async def _note(
    request: web.Request, account: ChannelAccount, sid: str, kind: str, text: str,
    tags: list[str], attachments: list[dict[str, Any]] | None = None,
) -> int | None:  # fmt: skip
    async with db.connection(request.app[keys.POOL]) as conn, conn.transaction():
        ticket = await conn.fetchrow(_CALL_TICKET, account.id, sid)
        if ticket is None:
            log.warning("voice.unknown_call", kind=kind)
            return None
        who = ticket["assignee_name"] or "an agent"  # who holds the call's ticket: who took it
        await conn.fetchval(_NOTE, ticket["id"], sid, kind, text.replace("{agent}", who),
                            attachments or [])  # fmt: skip
        if tags:
            await conn.execute(_TAG, ticket["id"], tags)
        ticket_id: int = ticket["id"]
        return ticket_id


async def queue_result(request: web.Request) -> web.StreamResponse:
    account, f = await _call(request)
    sid, result = f.get("CallSid", ""), f.get("QueueResult", "")
    waited = f.get("QueueTime", "0")
    if result == "leave":
        text = f"Nobody answered within {waited} s; the caller was offered voicemail."
        await _note(request, account, sid, "call.left_queue", text, [])
        return _voicemail(request, account, "Sorry, all our agents are busy.")
    if result == "hangup":
        await _note(request, account, sid, "call.abandoned",
                    f"The caller hung up after {waited} s in the queue: call them back.",
                    ["abandoned", "callback"])  # fmt: skip
    elif result in ("bridged", "bridging-in-process"):
        ticket_id = await _note(
            request,
            account,
            sid,
            "call.answered",
            f"Answered by {{agent}} after {waited} s in the queue.",
            [],
        )
        if ticket_id is not None:
            async with db.connection(request.app[keys.POOL]) as conn:
                await conn.execute(_ANSWERED, ticket_id)
            await live.request_sla(request.app[keys.REDIS])  # fmt: skip
    return twiml()


async def voicemail(request: web.Request) -> web.StreamResponse:
    account, f = await _call(request)
    recording, seconds = f.get("RecordingUrl"), f.get("RecordingDuration", "0")
    if recording:
        await _note(request, account, f.get("CallSid", ""), "call.voicemail",
                    f"Voicemail ({seconds} s): {recording}", ["voicemail", "callback"],
                    [{"kind": "audio", "url": recording, "mime_type": "audio/wav",
                      "name": f"voicemail-{f.get('RecordingSid', '')}.wav"}])  # fmt: skip
    return twiml(say("Thank you. We will call you back."), "<Hangup/>")


async def status(request: web.Request) -> web.StreamResponse:
    """The call's status callback: its end and duration."""
    account, f = await _call(request)
    if f.get("CallStatus") in ("completed", "busy", "no-answer", "failed", "canceled"):
        text = f"Call {f['CallStatus']} after {f.get('CallDuration', '0')} s."
        await _note(request, account, f.get("CallSid", ""), "call.ended", text, [])
    return twiml()
