"""API tokens: random, shown once, stored as SHA-256."""

from __future__ import annotations

import hashlib
import secrets

from contactcenter import constants


def new_token() -> str:
    return constants.TOKEN_PREFIX + secrets.token_urlsafe(constants.TOKEN_BYTES)


def hash_token(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()
