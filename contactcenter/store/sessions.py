"""Dashboard sign-in: password candidates and browser sessions (sql/queries/sessions.sql)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from contactcenter.models import User
from contactcenter.store.queries import q

_CANDIDATE = q("sessions.login_candidate")
_BY_TOKEN = q("sessions.user_id_by_token")
_CREATE = q("sessions.create")
_BY_SESSION = q("sessions.user_by_session")
_DELETE = q("sessions.delete")
_PURGE = q("sessions.purge_expired")
_SET_PASSWORD = q("sessions.set_password")
_SET_LANGUAGE = q("sessions.set_language")


async def login_candidate(conn: asyncpg.Connection, email: str) -> tuple[UUID, str | None] | None:
    row = await conn.fetchrow(_CANDIDATE, email)
    return (row["id"], row["password_hash"]) if row else None


async def user_id_by_token(conn: asyncpg.Connection, token_hash: bytes) -> UUID | None:
    user_id: UUID | None = await conn.fetchval(_BY_TOKEN, token_hash)
    return user_id


async def create(conn: asyncpg.Connection, id_hash: bytes, user_id: UUID, csrf: str,
                 expires_at: datetime, token_hash: bytes | None = None) -> None:  # fmt: skip
    """token_hash: the API token signed in with (the session ends when it is revoked)."""
    await conn.execute(_CREATE, id_hash, user_id, csrf, expires_at, token_hash)


async def user_by_session(conn: asyncpg.Connection, id_hash: bytes) -> tuple[User, str] | None:
    row = await conn.fetchrow(_BY_SESSION, id_hash)
    if row is None:
        return None
    fields = dict(row)
    csrf = fields.pop("csrf")
    return User.model_validate(fields), csrf


async def delete(conn: asyncpg.Connection, id_hash: bytes) -> None:
    await conn.execute(_DELETE, id_hash)


async def purge_expired(conn: asyncpg.Connection) -> None:
    await conn.execute(_PURGE)


async def set_password(conn: asyncpg.Connection, email: str, password_hash: str) -> UUID | None:
    user_id: UUID | None = await conn.fetchval(_SET_PASSWORD, email, password_hash)
    return user_id


async def set_language(conn: asyncpg.Connection, user_id: UUID, language: str) -> None:
    await conn.execute(_SET_LANGUAGE, user_id, language)
