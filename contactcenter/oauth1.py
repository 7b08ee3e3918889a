"""OAuth 1.0a request signing (RFC 5849, HMAC-SHA1): Flickr's API and X's DM media
(ton.twitter.com) still want it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit


def _enc(value: str) -> str:
    return quote(value, safe="~-._")


def oauth1_signature(method: str, url: str, params: Mapping[str, str], consumer_secret: str,
                     token_secret: str) -> str:  # fmt: skip
    """RFC 5849 §3.4: HMAC-SHA1 over METHOD&url&sorted, encoded parameters."""
    pairs = sorted((_enc(k), _enc(v)) for k, v in params.items())
    normalized = "&".join(f"{k}={v}" for k, v in pairs)
    base = "&".join((method.upper(), _enc(url), _enc(normalized)))
    key = f"{_enc(consumer_secret)}&{_enc(token_secret)}"
    return base64.b64encode(hmac.digest(key.encode(), base.encode(), hashlib.sha1)).decode()


def oauth_fields(consumer_key: str, token: str) -> dict[str, str]:
    return {
        "oauth_consumer_key": consumer_key, "oauth_token": token,
        "oauth_signature_method": "HMAC-SHA1", "oauth_timestamp": str(int(time.time())),
        "oauth_nonce": secrets.token_hex(8), "oauth_version": "1.0",
    }  # fmt: skip


def authorization(method: str, url: str, consumer_key: str, consumer_secret: str, token: str,
                  token_secret: str) -> str:  # fmt: skip
    """The `Authorization: OAuth …` header for a request (its query is part of the signature)."""
    parts = urlsplit(url)
    fields = oauth_fields(consumer_key, token)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    bare = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    fields["oauth_signature"] = oauth1_signature(
        method, bare, query | fields, consumer_secret, token_secret
    )
    return "OAuth " + ", ".join(f'{_enc(k)}="{_enc(v)}"' for k, v in sorted(fields.items()))
