"""The admin page's connection check: does the platform accept this account's credentials?
One cheap read per platform that has one: Telegram getMe, WhatsApp's phone number, the
Facebook Page or Instagram account the token belongs to (and whether it is the configured
one), Viber get_account_info, LINE's bot info, the Twilio account, Slack auth.test. For the
others, whether every required credential is set."""

from __future__ import annotations

import base64
from typing import Any

import aiohttp

TIMEOUT = aiohttp.ClientTimeout(total=5)
Verdict = tuple[bool | None, str]


async def _json(resp: aiohttp.ClientResponse) -> dict[str, Any]:
    """The answer's JSON object; {} for an empty body or anything else (a proxy's 502 page)."""
    try:
        data = await resp.json(content_type=None)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


async def probe(http: aiohttp.ClientSession, channel: str, creds: dict[str, Any],
                ends: dict[str, str]) -> Verdict:  # fmt: skip
    """(True, what the platform said) / (False, why) / (None, no live check for this channel)."""
    try:
        if channel in MORE:
            return await MORE[channel](http, creds, ends)
        if channel == "telegram":
            url = f"{ends['telegram'].rstrip('/')}/bot{creds['bot_token']}/getMe"
            async with http.get(url, timeout=TIMEOUT) as resp:
                data = await _json(resp)
            if data.get("ok"):
                return True, f"Telegram knows the bot as @{data['result'].get('username')}"
            return False, f"Telegram: {data.get('description', resp.status)}"
        if channel == "whatsapp":
            url = f"{ends['graph'].rstrip('/')}/{creds['phone_number_id']}"
            auth = {"Authorization": f"Bearer {creds['access_token']}"}
            async with http.get(url, headers=auth, timeout=TIMEOUT) as resp:
                data = await _json(resp)
            if resp.status < 300:
                return True, f"WhatsApp number {data.get('display_phone_number', data.get('id'))}"
            return False, f"WhatsApp: {(data.get('error') or {}).get('message', resp.status)}"
        if channel == "slack":
            url = f"{ends['slack'].rstrip('/')}/api/auth.test"
            auth = {"Authorization": f"Bearer {creds['bot_token']}"}
            async with http.post(url, headers=auth, timeout=TIMEOUT) as resp:
                data = await _json(resp)
            if data.get("ok"):
                return True, f"Slack workspace {data.get('team')} as {data.get('user')}"
            return False, f"Slack: {data.get('error', resp.status)}"
    except KeyError as exc:
        return False, f"the credential {exc} is missing"
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        return False, f"{channel} did not answer: {type(exc).__name__}"
    return None, f"no live check for {channel}"


async def _page(
    http: aiohttp.ClientSession, creds: dict[str, Any], ends: dict[str, str]
) -> Verdict:
    """Messenger and the Page's comments: whose token is it?"""
    url = f"{ends['graph'].rstrip('/')}/me"
    params = {"fields": "id,name", "access_token": creds["page_access_token"]}
    async with http.get(url, params=params, timeout=TIMEOUT) as resp:
        data = await _json(resp)
    if resp.status >= 300:
        return False, f"Facebook: {(data.get('error') or {}).get('message', resp.status)}"
    if str(data.get("id")) != str(creds["page_id"]):
        return False, (f"the token belongs to {data.get('name')} ({data.get('id')}), not to "
                       f"page_id {creds['page_id']}: use that Page's access token")  # fmt: skip
    return True, f"Facebook Page {data.get('name')}"


async def _instagram(http: aiohttp.ClientSession, creds: dict[str, Any],
                     ends: dict[str, str]) -> Verdict:  # fmt: skip
    url = f"{ends['graph'].rstrip('/')}/{creds['ig_id']}"
    headers = {"Authorization": f"Bearer {creds['access_token']}"}
    async with http.get(url, params={"fields": "username"}, headers=headers,
                        timeout=TIMEOUT) as resp:  # fmt: skip
        data = await _json(resp)
    if resp.status >= 300:
        return False, f"Instagram: {(data.get('error') or {}).get('message', resp.status)}"
    return True, f"Instagram account @{data.get('username')}"


async def _viber(
    http: aiohttp.ClientSession, creds: dict[str, Any], ends: dict[str, str]
) -> Verdict:
    url = f"{ends['viber'].rstrip('/')}/pa/get_account_info"
    headers = {"X-Viber-Auth-Token": creds["auth_token"]}
    async with http.post(url, json={}, headers=headers, timeout=TIMEOUT) as resp:
        data = await _json(resp)
    if data.get("status") == 0:
        return True, f"Viber bot {data.get('name')}"
    return False, f"Viber: {data.get('status_message', resp.status)}"


async def _line(
    http: aiohttp.ClientSession, creds: dict[str, Any], ends: dict[str, str]
) -> Verdict:
    url = f"{ends['line'].rstrip('/')}/v2/bot/info"
    headers = {"Authorization": f"Bearer {creds['channel_access_token']}"}
    async with http.get(url, headers=headers, timeout=TIMEOUT) as resp:
        data = await _json(resp)
    if resp.status < 300:
        return True, f"LINE bot {data.get('displayName')} ({data.get('basicId')})"
    return False, f"LINE: {data.get('message', resp.status)}"


async def _twilio(
    http: aiohttp.ClientSession, creds: dict[str, Any], ends: dict[str, str]
) -> Verdict:
    sid = creds["account_sid"]
    url = f"{ends['twilio'].rstrip('/')}/2010-04-01/Accounts/{sid}.json"
    basic = base64.b64encode(f"{sid}:{creds['auth_token']}".encode()).decode()
    async with http.get(url, headers={"Authorization": f"Basic {basic}"}, timeout=TIMEOUT) as resp:
        data = await _json(resp)
    if resp.status >= 300:
        return False, f"Twilio: {data.get('message', resp.status)}"
    if data.get("status") != "active":
        return False, f"the Twilio account {data.get('friendly_name')} is {data.get('status')}"
    return True, f"Twilio account {data.get('friendly_name')}"


MORE = {"messenger": _page, "facebook": _page, "instagram": _instagram, "viber": _viber,
        "line": _line, "twilio-sms": _twilio, "twilio-voice": _twilio}  # fmt: skip
