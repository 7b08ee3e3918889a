"""Bearer-token authentication and role checks."""

from __future__ import annotations

from aiohttp import web

from contactcenter import keys
from contactcenter.errors import ApiError, ErrorCode
from contactcenter.models import Role, User
from contactcenter.security import hash_token
from contactcenter.store import db
from contactcenter.store import users as user_store


async def authenticate(request: web.Request) -> User:
    """The user whose token is in `Authorization: Bearer …`; 401 when missing or unknown."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(
            ErrorCode.UNAUTHENTICATED,
            "Missing API token. Send `Authorization: Bearer <token>`; "
            "`contactcenter users add EMAIL --role ROLE` prints one.",
        )
    async with db.connection(request.app[keys.POOL]) as conn:
        user = await user_store.user_by_token(conn, hash_token(token.strip()))
    if user is None:
        raise ApiError(ErrorCode.UNAUTHENTICATED, "The API token is unknown or revoked.")
    return user


def require_role(user: User, role: Role) -> None:
    if not user.at_least(role):
        raise ApiError(
            ErrorCode.FORBIDDEN,
            f"This needs the {role.value} role or higher; you are signed in as {user.role.value}.",
        )
