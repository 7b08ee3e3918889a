"""API tokens (random, shown once, stored as SHA-256) and passwords (argon2id)."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError

from contactcenter import constants


def new_token() -> str:
    return constants.TOKEN_PREFIX + secrets.token_urlsafe(constants.TOKEN_BYTES)


def hash_token(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


_HASHER = PasswordHasher()  # argon2id with the library's (RFC 9106) default cost


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def password_matches(stored: str | None, password: str) -> bool:
    """Constant work whether or not the user has a password (no timing hint either way)."""
    try:
        return _HASHER.verify(stored or _DUMMY, password) and stored is not None
    except (VerifyMismatchError, InvalidHashError):
        return False


_DUMMY = _HASHER.hash(secrets.token_hex(16))
