"""Users and their API tokens."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from contactcenter.models import User, UserId
from contactcenter.store.queries import q

_INSERT = q("users.insert_user")
_INSERT_TOKEN = q("users.insert_token")
_BY_TOKEN = q("users.user_by_token")
_GET = q("users.get_user")
_LIST = q("users.list_users")
_UPDATE = q("users.update_user")


async def insert_user(
    conn: asyncpg.Connection,
    *,
    email: str,
    name: str,
    role: str,
    timezone: str = "UTC",
    language: str = "en",
    team_id: UUID | None = None,
    supervisor_id: UUID | None = None,
) -> User:
    row = await conn.fetchrow(
        _INSERT, email, name, role, timezone, language, team_id, supervisor_id
    )
    return User.model_validate(dict(row))


async def insert_token(
    conn: asyncpg.Connection, user_id: UserId, token_hash: bytes, label: str
) -> None:
    await conn.execute(_INSERT_TOKEN, user_id, token_hash, label)


async def user_by_token(conn: asyncpg.Connection, token_hash: bytes) -> User | None:
    row = await conn.fetchrow(_BY_TOKEN, token_hash)
    return User.model_validate(dict(row)) if row else None


async def get_user(conn: asyncpg.Connection, user_id: UUID) -> User | None:
    row = await conn.fetchrow(_GET, user_id)
    return User.model_validate(dict(row)) if row else None


async def list_users(conn: asyncpg.Connection, after_email: str | None, limit: int) -> list[User]:
    return [User.model_validate(dict(r)) for r in await conn.fetch(_LIST, after_email, limit)]


async def update_user(
    conn: asyncpg.Connection, user_id: UUID, changes: dict[str, object]
) -> User | None:
    """Change the given fields (name, role, timezone, language, team_id, supervisor_id)."""
    args: list[object] = [user_id]
    for column in ("name", "role", "timezone", "language", "team_id", "supervisor_id"):
        args += [column in changes, changes.get(column)]
    row = await conn.fetchrow(_UPDATE, *args)
    return await get_user(conn, user_id) if row else None
