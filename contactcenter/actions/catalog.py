"""Brands, teams, queues and channel accounts: validation and creation."""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

import asyncpg

from contactcenter import constants
from contactcenter.api.schemas import ChannelAccountIn
from contactcenter.api.schemas_routing import QueueIn, QueuePatch
from contactcenter.channels.registry import CHANNELS
from contactcenter.errors import ApiError, ErrorCode
from contactcenter.models import Brand, ChannelAccount, Queue, Team
from contactcenter.store import catalog
from contactcenter.store import sla as sla_store

_TELEGRAM_SECRET = re.compile(rf"^[A-Za-z0-9_-]{{1,{constants.TELEGRAM_SECRET_MAX}}}$")


def _conflict(what: str, name: str) -> ApiError:
    return ApiError(
        ErrorCode.CONFLICT, f"A {what} named {name!r} exists already; choose another name."
    )


async def do_create_brand(conn: asyncpg.Connection, name: str) -> Brand:
    try:
        return await catalog.insert_brand(conn, name)
    except asyncpg.UniqueViolationError:
        raise _conflict("brand", name) from None


async def do_create_team(conn: asyncpg.Connection, name: str) -> Team:
    try:
        return await catalog.insert_team(conn, name)
    except asyncpg.UniqueViolationError:
        raise _conflict("team", name) from None


async def check_brand(conn: asyncpg.Connection, brand_id: Any) -> Brand:
    brand = await catalog.get_brand(conn, brand_id)
    if brand is None:
        raise ApiError(
            ErrorCode.VALIDATION_FAILED,
            f"brand_id {brand_id} does not exist; POST /api/v1/brands first.",
        )
    return brand


async def check_queue(conn: asyncpg.Connection, queue_id: Any, brand_id: Any) -> Queue:
    queue = await catalog.get_queue(conn, queue_id)
    if queue is None or queue.brand_id != brand_id:
        raise ApiError(
            ErrorCode.VALIDATION_FAILED,
            f"queue_id {queue_id} is not a queue of brand {brand_id}; POST /api/v1/queues first.",
        )
    return queue


async def check_team(conn: asyncpg.Connection, team_id: Any) -> None:
    if team_id is not None and await catalog.get_team(conn, team_id) is None:
        raise ApiError(ErrorCode.VALIDATION_FAILED, f"team_id {team_id} does not exist.")


async def do_create_queue(conn: asyncpg.Connection, body: QueueIn) -> Queue:
    await check_brand(conn, body.brand_id)
    await check_team(conn, body.team_id)
    for step in body.overflow:
        if step.queue_id is not None:
            await check_queue(conn, step.queue_id, body.brand_id)
    await check_policy(conn, body.sla_policy_id, body.brand_id)
    fields = body.model_dump(mode="json")
    fields["brand_id"], fields["team_id"] = body.brand_id, body.team_id
    fields["sla_policy_id"] = body.sla_policy_id
    fields["overflow"] = [s.model_dump(mode="json", exclude_none=True) for s in body.overflow]
    try:
        return await catalog.insert_queue(conn, fields)
    except asyncpg.UniqueViolationError:
        raise _conflict("queue", body.name) from None


def check_credentials(channel: str, credentials: dict[str, str]) -> None:
    """Every credential the channel needs is present and well-formed."""
    if channel not in CHANNELS:
        raise ApiError(
            ErrorCode.VALIDATION_FAILED,
            f"Unknown channel {channel!r}. Supported channels: {', '.join(sorted(CHANNELS))}.",
        )
    receiver = CHANNELS[channel]
    missing = [k for k in receiver.required_credentials if not credentials.get(k)]
    if missing:
        raise ApiError(
            ErrorCode.VALIDATION_FAILED,
            f"credentials for {channel} lack {', '.join(missing)}; "
            f"a {channel} account needs {', '.join(receiver.required_credentials)}.",
        )
    if channel == "telegram" and not _TELEGRAM_SECRET.match(credentials["secret_token"]):
        raise ApiError(
            ErrorCode.VALIDATION_FAILED,
            "credentials.secret_token must be 1-256 characters of A-Z, a-z, 0-9, _ and - "
            "(Telegram's rule for setWebhook).",
        )


# CHANNELS.md's names for credentials we call otherwise: either is accepted, ours is stored.
CREDENTIAL_ALIASES = {
    "instagram": {"ig_user_id": "ig_id"},
    "linkedin": {"organization_urn": "organization", "clientSecret": "client_secret"},
}


def with_aliases(channel: str, credentials: dict[str, str]) -> dict[str, str]:
    renamed = dict(credentials)
    for spec_name, ours in CREDENTIAL_ALIASES.get(channel, {}).items():
        if spec_name in renamed and not renamed.get(ours):
            renamed[ours] = renamed.pop(spec_name)
    return renamed


async def do_create_account(conn: asyncpg.Connection, body: ChannelAccountIn) -> ChannelAccount:
    body = body.model_copy(update={"credentials": with_aliases(body.channel, body.credentials)})
    check_credentials(body.channel, body.credentials)
    await check_brand(conn, body.brand_id)
    await check_queue(conn, body.queue_id, body.brand_id)
    try:
        return await catalog.insert_account(
            conn, body.brand_id, body.channel, body.name, body.queue_id, body.credentials
        )
    except asyncpg.UniqueViolationError:
        raise _conflict(f"{body.channel} account", body.name) from None


NULLABLE_QUEUE_FIELDS = frozenset(
    {"team_id", "after_hours_reply", "hours", "sla_policy_id", "sl_threshold_s", "forecast"}
)


async def check_policy(conn: asyncpg.Connection, policy_id: UUID | None, brand_id: UUID) -> None:
    if policy_id is None:
        return
    policy = await sla_store.get_policy(conn, policy_id)
    if policy is None or policy["brand_id"] != brand_id:
        raise ApiError(
            ErrorCode.VALIDATION_FAILED,
            f"sla_policy_id {policy_id} is not an SLA policy of this queue's brand; "
            "create one with POST /api/v1/sla-policies.",
        )


async def do_update_queue(conn: asyncpg.Connection, queue_id: UUID, body: QueuePatch) -> Queue:
    """Change a queue's settings; null is allowed for team, after-hours reply and hours only."""
    current = await catalog.get_queue(conn, queue_id)
    if current is None:
        raise ApiError(ErrorCode.NOT_FOUND, f"No queue with id {queue_id}.")
    changes = body.model_dump(mode="json", exclude_unset=True)
    nulls = sorted(k for k, v in changes.items() if v is None and k not in NULLABLE_QUEUE_FIELDS)
    if nulls:
        raise ApiError(ErrorCode.VALIDATION_FAILED, f"{', '.join(nulls)} cannot be null.")
    if "team_id" in changes:
        await check_team(conn, body.team_id)
        changes["team_id"] = body.team_id
    if "sla_policy_id" in changes:
        await check_policy(conn, body.sla_policy_id, current.brand_id)
        changes["sla_policy_id"] = body.sla_policy_id
    for step in body.overflow or ():
        if step.queue_id == queue_id:
            raise ApiError(ErrorCode.VALIDATION_FAILED, "A queue cannot overflow into itself.")
        if step.queue_id is not None:
            await check_queue(conn, step.queue_id, current.brand_id)
    if body.overflow is not None:
        changes["overflow"] = [s.model_dump(mode="json", exclude_none=True) for s in body.overflow]
    try:
        queue = await catalog.update_queue(conn, queue_id, changes)
    except asyncpg.UniqueViolationError:
        raise _conflict("queue", str(body.name)) from None
    if queue is None:
        raise ApiError(ErrorCode.NOT_FOUND, f"No queue with id {queue_id}.")
    if "sla_policy_id" in changes and changes["sla_policy_id"] != current.sla_policy_id:
        await sla_store.work_for_brand(conn, current.brand_id)  # its tickets change policy
    return queue
