"""The admin page's connection check: does the platform accept this account's credentials?
One cheap read per platform that has one: Telegram getMe, WhatsApp's phone number, the
Facebook Page or Instagram account the token belongs to (and whether it is the configured
one), Viber get_account_info, LINE's bot info, the Twilio account, Slack auth.test. For the
others, whether every required credential is set."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

TIMEOUT = aiohttp.ClientTimeout(total=5)
Verdict = tuple[bool | None, str]
Creds = dict[str, Any]


async def probe(http: aiohttp.ClientSession, channel: str, creds: Creds,
                ends: dict[str, str]) -> Verdict:  # fmt: skip
    """(True, what the platform said) / (False, why) / (None, no live check for this channel)."""
    check = CHECKS.get(channel)
    if check is None:
        return None, f"no live check for {channel}"
    try:
        return await check(http, creds, ends)
    except KeyError as exc:
        return False, f"the credential {exc} is missing"
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        return False, f"{channel} did not answer: {type(exc).__name__}"


async def _ask(http: aiohttp.ClientSession, method: str, url: str,
               **options: Any) -> tuple[int, dict[str, Any]]:  # fmt: skip
    """The status and the answer's JSON object ({} for an empty body or anything else, such
    as a proxy's 502 page)."""
    async with http.request(method, url, timeout=TIMEOUT, **options) as resp:
        try:
            data = await resp.json(content_type=None)
        except ValueError:
            data = None
    return resp.status, data if isinstance(data, dict) else {}


def _graph_error(data: dict[str, Any], status: int) -> Any:
    return (data.get("error") or {}).get("message", status)


async def _telegram(http: aiohttp.ClientSession, creds: Creds, ends: dict[str, str]) -> Verdict:
    url = f"{ends['telegram'].rstrip('/')}/bot{creds['bot_token']}/getMe"
    status, data = await _ask(http, "GET", url)
    if data.get("ok"):
        return True, f"Telegram knows the bot as @{data['result'].get('username')}"
    return False, f"Telegram: {data.get('description', status)}"


async def _whatsapp(http: aiohttp.ClientSession, creds: Creds, ends: dict[str, str]) -> Verdict:
    url = f"{ends['graph'].rstrip('/')}/{creds['phone_number_id']}"
    auth = {"Authorization": f"Bearer {creds['access_token']}"}
    status, data = await _ask(http, "GET", url, headers=auth)
    if status < 300:
        return True, f"WhatsApp number {data.get('display_phone_number', data.get('id'))}"
    return False, f"WhatsApp: {_graph_error(data, status)}"


async def _page(http: aiohttp.ClientSession, creds: Creds, ends: dict[str, str]) -> Verdict:
    """Messenger and the Page's comments: whose token is it?"""
    params = {"fields": "id,name", "access_token": creds["page_access_token"]}
    status, data = await _ask(http, "GET", f"{ends['graph'].rstrip('/')}/me", params=params)
    if status >= 300:
        return False, f"Facebook: {_graph_error(data, status)}"
    if str(data.get("id")) != str(creds["page_id"]):
        return False, (f"the token belongs to {data.get('name')} ({data.get('id')}), not to "
                       f"page_id {creds['page_id']}: use that Page's access token")  # fmt: skip
    return True, f"Facebook Page {data.get('name')}"


async def _instagram(http: aiohttp.ClientSession, creds: Creds, ends: dict[str, str]) -> Verdict:
    url = f"{ends['graph'].rstrip('/')}/{creds['ig_id']}"
    auth = {"Authorization": f"Bearer {creds['access_token']}"}
    status, data = await _ask(http, "GET", url, params={"fields": "username"}, headers=auth)
    if status >= 300:
        return False, f"Instagram: {_graph_error(data, status)}"
    return True, f"Instagram account @{data.get('username')}"


async def _viber(http: aiohttp.ClientSession, creds: Creds, ends: dict[str, str]) -> Verdict:
    url = f"{ends['viber'].rstrip('/')}/pa/get_account_info"
    auth = {"X-Viber-Auth-Token": creds["auth_token"]}
    status, data = await _ask(http, "POST", url, json={}, headers=auth)
    if data.get("status") == 0:
        return True, f"Viber bot {data.get('name')}"
    return False, f"Viber: {data.get('status_message', status)}"


async def _line(http: aiohttp.ClientSession, creds: Creds, ends: dict[str, str]) -> Verdict:
    auth = {"Authorization": f"Bearer {creds['channel_access_token']}"}
    status, data = await _ask(http, "GET", f"{ends['line'].rstrip('/')}/v2/bot/info", headers=auth)
    if status < 300:
        return True, f"LINE bot {data.get('displayName')} ({data.get('basicId')})"
    return False, f"LINE: {data.get('message', status)}"


async def _twilio(http: aiohttp.ClientSession, creds: Creds, ends: dict[str, str]) -> Verdict:
    sid = creds["account_sid"]
    url = f"{ends['twilio'].rstrip('/')}/2010-04-01/Accounts/{sid}.json"
    basic = base64.b64encode(f"{sid}:{creds['auth_token']}".encode()).decode()
    status, data = await _ask(http, "GET", url, headers={"Authorization": f"Basic {basic}"})
    if status >= 300:
        return False, f"Twilio: {data.get('message', status)}"
    if data.get("status") != "active":
        return False, f"the Twilio account {data.get('friendly_name')} is {data.get('status')}"
    return True, f"Twilio account {data.get('friendly_name')}"


async def _slack(http: aiohttp.ClientSession, creds: Creds, ends: dict[str, str]) -> Verdict:
    auth = {"Authorization": f"Bearer {creds['bot_token']}"}
    status, data = await _ask(http, "POST", f"{ends['slack'].rstrip('/')}/api/auth.test",
                              headers=auth)  # fmt: skip
    if data.get("ok"):
        return True, f"Slack workspace {data.get('team')} as {data.get('user')}"
    return False, f"Slack: {data.get('error', status)}"


CHECKS: dict[str, Callable[[aiohttp.ClientSession, Creds, dict[str, str]], Awaitable[Verdict]]] = {
    "telegram": _telegram, "whatsapp": _whatsapp, "messenger": _page, "facebook": _page,
    "instagram": _instagram, "viber": _viber, "line": _line, "twilio-sms": _twilio,
    "twilio-voice": _twilio, "slack": _slack,
}  # fmt: skip
