"""Authentication (an API token, or the dashboard's session cookie) and role checks.

A request signed in by cookie that changes anything must carry the session's CSRF token in
`X-CSRF-Token`: another site can make a browser send the cookie, never read the token."""

from __future__ import annotations

from aiohttp import web

from contactcenter import keys
from contactcenter.channels.base import constant_time_equal
from contactcenter.errors import ApiError, ErrorCode
from contactcenter.models import Role, User
from contactcenter.security import hash_token
from contactcenter.store import db
from contactcenter.store import sessions as session_store
from contactcenter.store import users as user_store

SESSION_COOKIE = "cc_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def authenticate(request: web.Request) -> User:
    """The user of `Authorization: Bearer …`, else of the session cookie; 401 when neither."""
    header = request.headers.get("Authorization", "")
    cookie = request.cookies.get(SESSION_COOKIE)
    if not header and cookie:
        return await _by_session(request, cookie)
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


async def _by_session(request: web.Request, cookie: str) -> User:
    async with db.connection(request.app[keys.POOL]) as conn:
        found = await session_store.user_by_session(conn, hash_token(cookie))
    if found is None:
        raise ApiError(ErrorCode.UNAUTHENTICATED,
                       "Your session has ended; sign in again at /login.")  # fmt: skip
    user, csrf = found
    if request.method not in SAFE_METHODS and not constant_time_equal(
        request.headers.get("X-CSRF-Token", ""), csrf
    ):
        raise ApiError(
            ErrorCode.FORBIDDEN,
            "Missing or wrong X-CSRF-Token: send the token of the page (meta csrf-token) "
            "with every change made with the session cookie.",
        )
    return user


def require_role(user: User, role: Role) -> None:
    if not user.at_least(role):
        raise ApiError(
            ErrorCode.FORBIDDEN,
            f"This needs the {role.value} role or higher; you are signed in as {user.role.value}.",
        )
