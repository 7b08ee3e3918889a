"""What every Meta Graph webhook shares (CHANNELS.md §1-§4): the hub.* handshake and the
X-Hub-Signature-256 HMAC over the raw body with the app secret."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from contactcenter.channels.base import bad_signature, constant_time_equal
from contactcenter.errors import ApiError, ErrorCode
from contactcenter.models import ChannelAccount


def handshake(account: ChannelAccount, query: Mapping[str, str]) -> str:
    mode, token, challenge = (
        query.get(k) for k in ("hub.mode", "hub.verify_token", "hub.challenge")
    )
    if mode != "subscribe" or token is None or challenge is None:
        raise ApiError(
            ErrorCode.BAD_REQUEST,
            "This URL answers Meta's verification handshake: expected hub.mode=subscribe, "
            "hub.verify_token and hub.challenge in the query string.",
        )
    if not constant_time_equal(token, str(account.credentials.get("verify_token", ""))):
        raise ApiError(
            ErrorCode.VERIFY_TOKEN_MISMATCH,
            "hub.verify_token does not match this account's verify_token. Enter the same "
            "value in the Meta App Dashboard and in the channel account's credentials.",
        )
    return challenge


def verify(account: ChannelAccount, headers: Mapping[str, str], body: bytes) -> None:
    header = headers.get("X-Hub-Signature-256")
    if not header:
        raise bad_signature("Missing X-Hub-Signature-256 header; Meta signs every webhook.")
    secret = str(account.credentials.get("app_secret", "")).encode()
    expected = "sha256=" + hmac.digest(secret, body, hashlib.sha256).hex()
    if not constant_time_equal(header.strip().lower(), expected):
        raise bad_signature(
            "X-Hub-Signature-256 does not match the body. Check the account's app_secret "
            "(App Dashboard → Settings → Basic) and that the body is forwarded unmodified."
        )
