"""Where each platform keeps an attachment, and how to fetch it (CHANNELS.md, "download").

WhatsApp: GET /{media id} → a short-lived URL, fetched with the same token. Telegram:
getFile → file_path under /file/bot<token>/. LINE: the content API by message id. Messenger,
Instagram, Viber, the API channel: a URL in the payload (CDN links expire: fetch promptly).
Twilio: the media URL with Basic auth. E-mail: the parts come with the message (inline_media,
handled by the media action). X: DM media on ton.twitter.com with OAuth 1.0a user signing,
media of public posts by URL.
Downloads stop at the size limit; types outside the allowed list are refused.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import aiohttp
import yarl

from contactcenter.media.outside import NotAllowed, Outside
from contactcenter.oauth1 import authorization

MAX_REDIRECTS = 5
REDIRECTS = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True, slots=True)
class Limits:
    max_bytes: int
    types: tuple[str, ...]  # "image/*" or "application/pdf"

    def allows(self, mime: str | None) -> bool:
        if not mime:
            return False
        mime = mime.split(";")[0].strip().lower()
        return any(mime == t or (t.endswith("*") and mime.startswith(t[:-1])) for t in self.types)


@dataclass(frozen=True, slots=True)
class Fetched:
    outcome: str  # stored, refused (permanent), failed (retry later)
    data: bytes = b""
    mime_type: str | None = None
    reason: str | None = None


class Refused(Exception):
    """A permanent reason not to fetch (no retry)."""


async def locate(
    http: aiohttp.ClientSession, channel: str, creds: dict[str, Any],
    attachment: dict[str, Any], ends: dict[str, str], outside: Outside,
) -> tuple[str, dict[str, str]]:  # fmt: skip
    """The URL to download and the headers it needs (a URL from a payload: checked by
    `outside`, never one into our own network)."""
    ref = str(attachment.get("platform_media_id") or attachment.get("url") or "")
    if channel == "whatsapp":
        auth = {"Authorization": f"Bearer {creds['access_token']}"}
        async with http.get(f"{ends['graph'].rstrip('/')}/{ref}", headers=auth) as resp:
            if resp.status >= 500 or resp.status == 429:  # temporary: tried again later
                raise aiohttp.ClientError(f"WhatsApp answered HTTP {resp.status}")
            if resp.status >= 400:
                raise Refused(f"WhatsApp does not know media {ref} (HTTP {resp.status})")
            info = await resp.json(content_type=None)
        return str(info["url"]), auth
    if channel == "telegram":
        base = ends["telegram"].rstrip("/")
        token = creds["bot_token"]
        async with http.get(f"{base}/bot{token}/getFile", params={"file_id": ref}) as resp:
            info = await resp.json(content_type=None)
        if not info.get("ok"):
            raise Refused(f"Telegram: {info.get('description', 'no such file')}")
        return f"{base}/file/bot{token}/{info['result']['file_path']}", {}
    if channel == "line":
        url = f"{ends['line_data'].rstrip('/')}/v2/bot/message/{ref}/content"
        return url, {"Authorization": f"Bearer {creds['channel_access_token']}"}
    if channel in ("twilio-sms", "twilio-voice"):  # MMS media, voicemail recordings
        basic = base64.b64encode(f"{creds['account_sid']}:{creds['auth_token']}".encode()).decode()
        return ref, {"Authorization": f"Basic {basic}"}
    if channel in ("messenger", "instagram", "facebook", "viber", "api") and ref.startswith("http"):
        await _check(outside, ref)
        return ref, {}
    if channel == "x":
        return await _x_media(ref, creds, ends["x_ton"], outside)
    if channel == "slack":  # url_private: only with the bot token, only on Slack's file host
        prefix = "https://files.slack.com/"
        if not ref.startswith(prefix):
            raise Refused(f"not a Slack file URL: {ref[:100]}")
        url = ends["slack_files"].rstrip("/") + "/" + ref.removeprefix(prefix)
        return url, {"Authorization": f"Bearer {creds['bot_token']}"}
    if channel in ("email", "webchat"):  # the bytes are stored with the message (inline_media)
        raise Refused(f"the {channel} attachment's content was not kept with the message")
    raise Refused(f"downloading {channel} media is not supported yet")


async def _check(outside: Outside, url: str) -> None:
    try:
        await outside.check(url)
    except NotAllowed as exc:
        raise Refused(str(exc)) from None


async def _x_media(
    ref: str, creds: dict[str, Any], ton: str, outside: Outside
) -> tuple[str, dict[str, str]]:
    """DM media sit on ton.twitter.com behind OAuth 1.0a user signing; media of public posts
    (pbs.twimg.com) are public URLs."""
    prefix = "https://ton.twitter.com/"
    if not ref.startswith(prefix):
        await _check(outside, ref)
        return ref, {}
    names = ("consumer_key", "consumer_secret", "oauth1_token", "oauth1_token_secret")
    if not all(creds.get(n) for n in names):
        raise Refused("X's DM media need OAuth 1.0a user credentials: set consumer_key, "
                      "oauth1_token and oauth1_token_secret on the X account")  # fmt: skip
    url = ton.rstrip("/") + "/" + ref.removeprefix(prefix)
    key, secret, token, token_secret = (str(creds[n]) for n in names)
    return url, {"Authorization": authorization("GET", url, key, secret, token, token_secret)}


async def download(
    http: aiohttp.ClientSession, url: str, headers: dict[str, str], limits: Limits,
    declared: str | None, *, outside: Outside | None = None,
) -> Fetched:  # fmt: skip
    """One GET, read within the limits. A payload URL goes through `outside`: redirects are
    followed a hop at a time, each checked like the first URL, and the connection itself can
    only reach allowed addresses."""
    session = outside.http if outside else http
    try:
        if outside:  # aiohttp never resolves a literal address: it is judged here
            await _check(outside, url)
        for _ in range(MAX_REDIRECTS + 1):
            async with session.get(url, headers=headers, allow_redirects=outside is None,
                                   timeout=aiohttp.ClientTimeout(total=60)) as resp:  # fmt: skip
                location = resp.headers.get("Location")
                if not (outside and resp.status in REDIRECTS and location):
                    return await _read(resp, limits, declared)
                try:
                    url = str(resp.url.join(yarl.URL(location)))
                except ValueError:  # http://x:99999/, http://[::1
                    return Fetched("refused", reason=f"redirected to no URL: {location[:100]}")
            await _check(outside, url)
        return Fetched("refused", reason=f"more than {MAX_REDIRECTS} redirects")
    except Refused as exc:
        return Fetched("refused", reason=str(exc))
    except aiohttp.ClientConnectorError as exc:
        if isinstance(exc.os_error, NotAllowed):  # the name now resolves inward (rebinding)
            return Fetched("refused", reason=str(exc.os_error))
        return Fetched("failed", reason=f"download failed: {type(exc).__name__}")
    except (TimeoutError, aiohttp.ClientError) as exc:
        return Fetched("failed", reason=f"download failed: {type(exc).__name__}")
    except ValueError:  # a URL aiohttp cannot request
        return Fetched("refused", reason=f"not a valid URL: {url[:100]}")


async def _read(resp: aiohttp.ClientResponse, limits: Limits, declared: str | None) -> Fetched:
    if 300 <= resp.status < 400:
        return Fetched("refused", reason=f"the platform answered HTTP {resp.status}")
    if resp.status >= 500 or resp.status == 429:
        return Fetched("failed", reason=f"the platform answered HTTP {resp.status}")
    if resp.status >= 400:
        return Fetched("refused", reason=f"the platform answered HTTP {resp.status}")
    mime = (resp.headers.get("Content-Type") or declared or "").split(";")[0].strip()
    if not limits.allows(mime or declared):
        return Fetched("refused", reason=f"type {mime or 'unknown'} is not allowed")
    if (resp.content_length or 0) > limits.max_bytes:
        return Fetched("refused", reason=f"larger than {limits.max_bytes} bytes")
    data = bytearray()
    async for chunk in resp.content.iter_chunked(64 * 1024):
        data += chunk
        if len(data) > limits.max_bytes:
            return Fetched("refused", reason=f"larger than {limits.max_bytes} bytes")
    return Fetched("stored", bytes(data), mime or declared)
