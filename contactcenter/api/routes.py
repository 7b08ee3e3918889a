"""Every URL in one table: method, path, handler, who may call it, and its shapes.

The table drives both the router and the OpenAPI document, so the two cannot drift apart.
Routes with a `role` need a bearer token of at least that role (401 without, 403 below it).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import wraps

from aiohttp import web
from pydantic import BaseModel

from contactcenter import keys
from contactcenter.api import catalog, ops, tickets, users, webhooks
from contactcenter.api.auth import authenticate, require_role
from contactcenter.api.schemas import (
    AccountListQuery,
    BrandIn,
    BrandOut,
    ChannelAccountIn,
    ChannelAccountOut,
    Health,
    MessageOut,
    Page,
    PageQuery,
    QueueIn,
    QueueListQuery,
    QueueOut,
    TeamIn,
    TeamOut,
    TicketListQuery,
    TicketOut,
    TicketPatch,
    UserCreated,
    UserIn,
    UserOut,
    UserPatch,
    WebhookAck,
)
from contactcenter.models import Role

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
V1 = "/api/v1"


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    path: str
    handler: Handler
    summary: str
    tag: str
    role: Role | None = None
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    content_type: str = "application/json"


AGENT, SUPERVISOR, ADMIN = Role.AGENT, Role.SUPERVISOR, Role.ADMIN

ROUTES: tuple[Route, ...] = (
    Route("GET", "/healthz", ops.healthz, "Liveness: the process answers", "ops", response=Health),
    Route(
        "GET",
        "/readyz",
        ops.readyz,
        "Readiness: PostgreSQL and Redis reachable",
        "ops",
        response=Health,
    ),
    Route("GET", "/api/openapi.json", ops.openapi, "This OpenAPI document", "ops"),
    Route(
        "GET",
        "/webhooks/{channel}/{account_id}",
        webhooks.handshake,
        "Platform verification handshake (answers the challenge)",
        "webhooks",
        content_type="text/plain",
    ),
    Route(
        "POST",
        "/webhooks/{channel}/{account_id}",
        webhooks.receive,
        "Platform webhook: verified, stored, then acknowledged",
        "webhooks",
        response=WebhookAck,
    ),
    Route("GET", f"{V1}/me", users.me, "The signed-in user", "users", AGENT, response=UserOut),
    Route(
        "POST",
        f"{V1}/brands",
        catalog.create_brand,
        "Create a brand",
        "brands",
        ADMIN,
        body=BrandIn,
        response=BrandOut,
        status=201,
    ),
    Route(
        "GET",
        f"{V1}/brands",
        catalog.list_brands,
        "List brands",
        "brands",
        AGENT,
        query=PageQuery,
        response=Page[BrandOut],
    ),
    Route(
        "POST",
        f"{V1}/teams",
        catalog.create_team,
        "Create a team",
        "teams",
        ADMIN,
        body=TeamIn,
        response=TeamOut,
        status=201,
    ),
    Route(
        "GET",
        f"{V1}/teams",
        catalog.list_teams,
        "List teams",
        "teams",
        AGENT,
        response=Page[TeamOut],
    ),
    Route(
        "POST",
        f"{V1}/queues",
        catalog.create_queue,
        "Create a queue",
        "queues",
        ADMIN,
        body=QueueIn,
        response=QueueOut,
        status=201,
    ),
    Route(
        "GET",
        f"{V1}/queues",
        catalog.list_queues,
        "List queues",
        "queues",
        AGENT,
        query=QueueListQuery,
        response=Page[QueueOut],
    ),
    Route(
        "GET",
        f"{V1}/queues/{{queue_id}}",
        catalog.get_queue,
        "Get a queue",
        "queues",
        AGENT,
        response=QueueOut,
    ),
    Route(
        "POST",
        f"{V1}/channel-accounts",
        catalog.create_account,
        "Connect a channel account (credentials are write-only)",
        "channel-accounts",
        ADMIN,
        body=ChannelAccountIn,
        response=ChannelAccountOut,
        status=201,
    ),
    Route(
        "GET",
        f"{V1}/channel-accounts",
        catalog.list_accounts,
        "List channel accounts",
        "channel-accounts",
        SUPERVISOR,
        query=AccountListQuery,
        response=Page[ChannelAccountOut],
    ),
    Route(
        "GET",
        f"{V1}/channel-accounts/{{account_id}}",
        catalog.get_account,
        "Get a channel account",
        "channel-accounts",
        SUPERVISOR,
        response=ChannelAccountOut,
    ),
    Route(
        "POST",
        f"{V1}/users",
        users.create_user,
        "Create a user (returns its API token once)",
        "users",
        ADMIN,
        body=UserIn,
        response=UserCreated,
        status=201,
    ),
    Route(
        "GET",
        f"{V1}/users",
        users.list_users,
        "List users",
        "users",
        SUPERVISOR,
        query=PageQuery,
        response=Page[UserOut],
    ),
    Route(
        "GET",
        f"{V1}/users/{{user_id}}",
        users.get_user,
        "Get a user",
        "users",
        SUPERVISOR,
        response=UserOut,
    ),
    Route(
        "PATCH",
        f"{V1}/users/{{user_id}}",
        users.update_user,
        "Change a user",
        "users",
        ADMIN,
        body=UserPatch,
        response=UserOut,
    ),
    Route(
        "GET",
        f"{V1}/tickets",
        tickets.list_tickets,
        "List tickets, newest first",
        "tickets",
        AGENT,
        query=TicketListQuery,
        response=Page[TicketOut],
    ),
    Route(
        "GET",
        f"{V1}/tickets/{{ticket_id}}",
        tickets.get_ticket,
        "Get a ticket",
        "tickets",
        AGENT,
        response=TicketOut,
    ),
    Route(
        "PATCH",
        f"{V1}/tickets/{{ticket_id}}",
        tickets.update_ticket,
        "Change status, priority, tags (agents); queue, assignee (supervisors)",
        "tickets",
        AGENT,
        body=TicketPatch,
        response=TicketOut,
    ),
    Route(
        "GET",
        f"{V1}/tickets/{{ticket_id}}/messages",
        tickets.list_messages,
        "A ticket's messages in conversation order",
        "tickets",
        AGENT,
        query=PageQuery,
        response=Page[MessageOut],
    ),
)


def _guarded(route: Route) -> Handler:
    role = route.role
    if role is None:
        return route.handler

    @wraps(route.handler)
    async def handler(request: web.Request) -> web.StreamResponse:
        user = await authenticate(request)
        require_role(user, role)
        request[keys.USER] = user
        return await route.handler(request)

    return handler


def setup_routes(app: web.Application) -> None:
    for route in ROUTES:
        app.router.add_route(route.method, route.path, _guarded(route))
