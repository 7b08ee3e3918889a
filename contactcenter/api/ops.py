"""Liveness, readiness and the OpenAPI document."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from aiohttp import web

from contactcenter import constants, keys
from contactcenter.api.http import json_response
from contactcenter.store import db


async def healthz(request: web.Request) -> web.Response:
    """Alive: the process answers. Says nothing about its dependencies."""
    return json_response({"status": "ok", "checks": {}})


async def readyz(request: web.Request) -> web.Response:
    """Ready: PostgreSQL and Redis both answer within READY_TIMEOUT_S; 503 otherwise."""
    checks = {
        "postgres": await _check(_ping_postgres(request)),
        "redis": await _check(request.app[keys.REDIS].ping()),
    }
    ok = all(v == "ok" for v in checks.values())
    return json_response(
        {"status": "ok" if ok else "unavailable", "checks": checks}, 200 if ok else 503
    )


async def _ping_postgres(request: web.Request) -> None:
    async with db.connection(request.app[keys.POOL]) as conn:
        await conn.fetchval("SELECT 1")


async def _check(awaitable: Awaitable[object]) -> str:
    try:
        await asyncio.wait_for(awaitable, constants.READY_TIMEOUT_S)
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"; report its type
        return f"unavailable: {type(exc).__name__}"
    return "ok"


async def openapi(request: web.Request) -> web.Response:
    from contactcenter.api.openapi import document

    return json_response(document())
