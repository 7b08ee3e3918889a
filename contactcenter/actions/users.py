"""Users: creation with a first API token, and changes."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from contactcenter.actions.catalog import check_team
from contactcenter.api.schemas import UserIn, UserPatch
from contactcenter.errors import ApiError, ErrorCode
from contactcenter.models import User
from contactcenter.security import hash_token, new_token
from contactcenter.store import agents as agent_store
from contactcenter.store import catalog as catalog_store
from contactcenter.store import users as store


async def do_create_user(conn: asyncpg.Connection, body: UserIn) -> tuple[User, str]:
    """Create a user and a token in one transaction; return the user and the plain token."""
    await check_team(conn, body.team_id)
    await _check_supervisor(conn, body.supervisor_id)
    async with conn.transaction():
        try:
            user = await store.insert_user(
                conn,
                email=body.email,
                name=body.name,
                role=body.role.value,
                timezone=body.timezone,
                language=body.language,
                team_id=body.team_id,
                supervisor_id=body.supervisor_id,
            )
        except asyncpg.UniqueViolationError:
            raise ApiError(
                ErrorCode.CONFLICT, f"A user with e-mail {body.email!r} exists already."
            ) from None
        token = await do_issue_token(conn, user, "created with user")
    return user, token


async def do_issue_token(conn: asyncpg.Connection, user: User, label: str) -> str:
    token = new_token()
    await store.insert_token(conn, user.id, hash_token(token), label)
    return token


ROUTING_FIELDS = ("skills", "languages", "capacity", "voice_exclusive", "queue_ids")


async def do_update_user(conn: asyncpg.Connection, user_id: UUID, body: UserPatch) -> User:
    """Change identity and routing attributes in one transaction."""
    changes = body.model_dump(exclude_unset=True)
    nulls = sorted(
        k for k in ("name", "role", "timezone", "language") if k in changes and changes[k] is None
    )
    if nulls:
        raise ApiError(ErrorCode.VALIDATION_FAILED, f"{', '.join(nulls)} cannot be null.")
    routing = {k: changes.pop(k) for k in ROUTING_FIELDS if k in changes}
    if routing.get("queue_ids"):
        routing["queue_ids"] = list(dict.fromkeys(routing["queue_ids"]))  # duplicates are harmless
    if routing.get("queue_ids"):
        await _check_queues(conn, routing["queue_ids"])
    for key in ("skills", "capacity", "languages", "voice_exclusive"):
        if key in routing and routing[key] is None:
            raise ApiError(ErrorCode.VALIDATION_FAILED, f"{key} cannot be null.")
    if "team_id" in changes:
        await check_team(conn, body.team_id)
    if "supervisor_id" in changes:
        await _check_supervisor(conn, body.supervisor_id)
        if body.supervisor_id == user_id:
            raise ApiError(ErrorCode.VALIDATION_FAILED, "A user cannot be their own supervisor.")
    if "role" in changes and body.role is not None:
        changes["role"] = body.role.value
    async with conn.transaction():
        user = await store.update_user(conn, user_id, changes)
        if user is None:
            raise ApiError(ErrorCode.NOT_FOUND, f"No user with id {user_id}.")
        if routing:
            await agent_store.update_agent(conn, user_id, routing)
            user = await store.get_user(conn, user_id) or user
    return user


async def _check_queues(conn: asyncpg.Connection, queue_ids: list[UUID]) -> None:
    found = await catalog_store.existing_queue_ids(conn, queue_ids)
    missing = [str(q) for q in queue_ids if q not in found]
    if missing:
        raise ApiError(ErrorCode.VALIDATION_FAILED, f"queue_ids {', '.join(missing)} do not exist.")


async def _check_supervisor(conn: asyncpg.Connection, supervisor_id: UUID | None) -> None:
    if supervisor_id is None:
        return
    supervisor = await store.get_user(conn, supervisor_id)
    if supervisor is None or supervisor.role == "agent":
        raise ApiError(
            ErrorCode.VALIDATION_FAILED,
            f"supervisor_id {supervisor_id} is not a user with the supervisor or admin role.",
        )
