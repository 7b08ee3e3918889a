"""The admin page's connection check: does the platform accept this account's credentials?
One cheap read per platform that has one (Telegram getMe, WhatsApp's phone number, Slack
auth.test); for the others, whether every required credential is set."""

from __future__ import annotations

from typing import Any

import aiohttp

TIMEOUT = aiohttp.ClientTimeout(total=5)


async def probe(http: aiohttp.ClientSession, channel: str, creds: dict[str, Any],
                ends: dict[str, str]) -> tuple[bool | None, str]:  # fmt: skip
    """(True, what the platform said) / (False, why) / (None, no live check for this channel)."""
    try:
        if channel == "telegram":
            url = f"{ends['telegram'].rstrip('/')}/bot{creds['bot_token']}/getMe"
            async with http.get(url, timeout=TIMEOUT) as resp:
                data = await resp.json(content_type=None)
            if data.get("ok"):
                return True, f"Telegram knows the bot as @{data['result'].get('username')}"
            return False, f"Telegram: {data.get('description', resp.status)}"
        if channel == "whatsapp":
            url = f"{ends['graph'].rstrip('/')}/{creds['phone_number_id']}"
            auth = {"Authorization": f"Bearer {creds['access_token']}"}
            async with http.get(url, headers=auth, timeout=TIMEOUT) as resp:
                data = await resp.json(content_type=None)
            if resp.status < 300:
                return True, f"WhatsApp number {data.get('display_phone_number', data.get('id'))}"
            return False, f"WhatsApp: {(data.get('error') or {}).get('message', resp.status)}"
        if channel == "slack":
            url = f"{ends['slack'].rstrip('/')}/api/auth.test"
            auth = {"Authorization": f"Bearer {creds['bot_token']}"}
            async with http.post(url, headers=auth, timeout=TIMEOUT) as resp:
                data = await resp.json(content_type=None)
            if data.get("ok"):
                return True, f"Slack workspace {data.get('team')} as {data.get('user')}"
            return False, f"Slack: {data.get('error', resp.status)}"
    except KeyError as exc:
        return False, f"the credential {exc} is missing"
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        return False, f"{channel} did not answer: {type(exc).__name__}"
    return None, f"no live check for {channel}"
