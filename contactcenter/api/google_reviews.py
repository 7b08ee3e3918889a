"""POST /google-reviews/{account_id}/push: a Pub/Sub push of a review notification.

Authenticated by the push's OIDC token (Google-signed JWT: signature against Google's keys,
`aud`, `email` of the push service account, issuer, expiry) or, without OIDC, a secret in the
URL (?token=<push_secret>). The notification names the review (three spellings exist); we fetch
it and store it: one message per review version (name + updateTime), so an edited review comes
in again. Acknowledged with 204; a review we cannot fetch now answers 503 (Pub/Sub retries).
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import jwt
from aiohttp import web

from contactcenter import keys, logs
from contactcenter.actions.ingest import IngestUnit
from contactcenter.api.http import active_account
from contactcenter.channels.base import (
    InboundBatch,
    bad_signature,
    constant_time_equal,
)
from contactcenter.channels.google_reviews import review_message
from contactcenter.errors import ApiError, ErrorCode
from contactcenter.models import ChannelAccount

log = logs.get_logger(__name__)
ISSUERS = ("accounts.google.com", "https://accounts.google.com")
TYPES = frozenset({"NEW_REVIEW", "UPDATED_REVIEW"})
KEYS_TTL_S = 3600
_keys: dict[str, Any] = {"at": 0.0, "jwks": None, "url": None}


async def _google_keys(request: web.Request, refresh: bool = False) -> dict[str, Any]:
    """Google's signing keys (JWKS), cached for an hour, fetched without blocking the loop."""
    url = request.app[keys.SETTINGS].google_certs_url
    if (
        refresh
        or _keys["jwks"] is None
        or _keys["url"] != url
        or time.time() - _keys["at"] > KEYS_TTL_S
    ):
        import aiohttp

        async with aiohttp.ClientSession() as http, http.get(url) as resp:
            _keys.update(jwks=await resp.json(content_type=None), at=time.time(), url=url)
    jwks: dict[str, Any] = _keys["jwks"]
    return jwks


async def _verify(request: web.Request, account: ChannelAccount) -> None:
    creds = account.credentials
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        secret = str(creds.get("push_secret", ""))
        if secret and constant_time_equal(request.query.get("token", ""), secret):
            return
        raise bad_signature(
            "Send the push with an OIDC token (pushConfig.oidcToken), or set "
            "credentials.push_secret and add ?token=<it> to the push URL."
        )
    token = header.removeprefix("Bearer ").strip()
    try:
        kid = jwt.get_unverified_header(token).get("kid")
        jwks = await _google_keys(request)
        if not any(k.get("kid") == kid for k in jwks.get("keys", [])):
            jwks = await _google_keys(request, refresh=True)  # Google rotated its keys
        key = jwt.PyJWKSet.from_dict(jwks)[str(kid)].key
        claims = jwt.decode(
            token,
            key,
            algorithms=["RS256"],
            audience=creds.get("oidc_audience") or creds.get("audience"),
            options={"require": ["exp", "iss", "aud", "email"]},
        )
    except (jwt.PyJWTError, KeyError, ValueError) as exc:
        raise bad_signature(f"The push's OIDC token is not valid: {exc}.") from exc
    if claims.get("iss") not in ISSUERS or not claims.get("email_verified", False):
        raise bad_signature("The OIDC token was not issued by Google for a verified account.")
    if claims.get("email") != creds.get("push_service_account"):
        raise bad_signature(
            "The OIDC token belongs to another service account than "
            "credentials.push_service_account."
        )


async def push(request: web.Request) -> web.StreamResponse:
    account = await active_account(request, "google-reviews")
    await _verify(request, account)
    try:
        envelope = await request.json()
        note = json.loads(base64.b64decode(envelope["message"]["data"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise ApiError(
            ErrorCode.INVALID_JSON, 'Expected a Pub/Sub push: {"message": {"data": <base64 JSON>}}.'
        ) from exc
    kind = note.get("type") or note.get("notificationType")
    review_name = note.get("review") or note.get("reviewName") or note.get("review_name")
    if kind not in TYPES or not review_name:
        log.info("google_reviews.ignored", kind=kind)
        return web.Response(status=204)
    review = await _fetch(request, account, str(review_name))
    if review is None:
        return web.Response(status=204)  # deleted meanwhile
    outcome = await request.app[keys.COMMITTER].submit(
        IngestUnit(account, InboundBatch(messages=[review_message(str(review_name), review)]))
    )
    log.info("google_reviews.stored", stored=outcome.stored, duplicates=outcome.duplicates)
    return web.Response(status=204)


async def _fetch(request: web.Request, account: ChannelAccount, name: str) -> dict[str, Any] | None:
    import aiohttp

    base = request.app[keys.SETTINGS].google_business_url.rstrip("/")
    headers = {"Authorization": f"Bearer {account.credentials['access_token']}"}
    try:
        async with (
            aiohttp.ClientSession() as http,
            http.get(
                f"{base}/v4/{name}", headers=headers, timeout=aiohttp.ClientTimeout(total=10)
            ) as resp,
        ):
            if resp.status == 404:
                return None
            if resp.status >= 400:
                raise ApiError(
                    ErrorCode.DATABASE_UNAVAILABLE,
                    f"Google answered {resp.status} for the review; Pub/Sub will retry.",
                )
            review: dict[str, Any] = await resp.json(content_type=None)
            return review
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise ApiError(
            ErrorCode.DATABASE_UNAVAILABLE,
            "The review could not be fetched from Google; Pub/Sub will retry.",
        ) from exc
