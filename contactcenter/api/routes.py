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
from contactcenter.api import (
    catalog,
    contacts,
    google_reviews,
    media,
    metrics,
    ops,
    posts,
    reports,
    routing,
    sla,
    tickets,
    users,
    voice,
    webchat,
    webchat_files,
    webhooks,
    workspace,
)
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
    PostIn,
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
from contactcenter.api.schemas_routing import (
    AgentOut,
    AssignIn,
    OfferOut,
    PresenceIn,
    PresenceOut,
    QueueIn,
    QueueListQuery,
    QueueOut,
    QueuePatch,
    ShiftsIn,
    ShiftsOut,
    TransferIn,
)
from contactcenter.api.schemas_sla import (
    SlaPolicyIn,
    SlaPolicyListQuery,
    SlaPolicyOut,
    SlaPolicyPatch,
)
from contactcenter.models import Role
from contactcenter.web import events, pages, session

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
    files: bool = False  # also multipart/form-data: `text` and `file` parts (api/uploads.py)
    head: bool = False  # GET also answers HEAD


AGENT, SUPERVISOR, ADMIN = Role.AGENT, Role.SUPERVISOR, Role.ADMIN
R = Route

# fmt: off
ROUTES: tuple[Route, ...] = (
    # ops and webhooks: no token
    R("GET", "/healthz", ops.healthz, "Liveness: the process answers", "ops", response=Health),
    R("GET", "/readyz", ops.readyz, "Readiness: PostgreSQL and Redis reachable", "ops",
      response=Health),
    R("GET", "/api/openapi.json", ops.openapi, "This OpenAPI document", "ops"),
    R("GET", "/metrics", metrics.prometheus, "Prometheus metrics (text format)", "ops",
      content_type="text/plain"),
    R("GET", "/webhooks/{channel}/{account_id}", webhooks.handshake,
      "Platform verification handshake (answers the challenge)", "webhooks",
      content_type="text/plain"),
    R("POST", "/webhooks/{channel}/{account_id}", webhooks.receive,
      "Platform webhook: verified, stored, then acknowledged", "webhooks", response=WebhookAck),
    # Twilio Voice call flow (TwiML; signed like SMS)
    R("POST", "/voice/{account_id}/incoming", voice.incoming,
      "A call comes in: ticket, then <Enqueue> (or voicemail when closed)", "voice",
      content_type="text/xml"),
    R("POST", "/voice/{account_id}/hold", voice.hold, "waitUrl: hold message, leave when too long",
      "voice", content_type="text/xml"),
    R("POST", "/voice/{account_id}/queue-result", voice.queue_result,
      "Enqueue action: answered, abandoned (callback), or voicemail", "voice",
      content_type="text/xml"),
    R("POST", "/voice/{account_id}/voicemail", voice.voicemail,
      "Record action: the voicemail on the ticket", "voice", content_type="text/xml"),
    R("POST", "/voice/{account_id}/status", voice.status, "Call status callback", "voice",
      content_type="text/xml"),
    R("POST", "/google-reviews/{account_id}/push", google_reviews.push,
      "Pub/Sub push of a review notification (OIDC token or ?token=)", "google-reviews",
      status=204),
    R("GET", "/files/{media_id}/{token}/{name}", media.get_link,
      "A file an agent sent, for the platform or visitor it went to (an expiring link; HEAD "
      "too: platforms check size and type first)", "media",
      content_type="application/octet-stream", head=True),
    # web chat widget (public: a visitor token; CORS to the account's allowed origins)
    R("GET", "/chat/widget.js", webchat.widget, "The embeddable chat widget", "webchat",
      content_type="application/javascript"),
    R("OPTIONS", "/chat/{account_id}/{tail}", webchat.preflight, "CORS preflight", "webchat"),
    R("POST", "/chat/{account_id}/conversations", webchat.start,
      "Start a chat: a visitor token (anonymous or a verified user)", "webchat",
      body=webchat.StartIn, status=201),
    R("POST", "/chat/{account_id}/messages", webchat.post_message,
      "The visitor's message (Authorization: Bearer <visitor token>)", "webchat",
      body=webchat_files.ChatMessageIn, status=201),
    R("GET", "/chat/{account_id}/messages", webchat.history, "The conversation so far",
      "webchat"),
    R("GET", "/chat/{account_id}/events", webchat.events,
      "Agents' replies live (Server-Sent Events; ?token=<visitor token>)", "webchat",
      content_type="text/event-stream"),
    # configuration
    R("GET", f"{V1}/me", users.me, "The signed-in user", "users", AGENT, response=UserOut),
    R("POST", f"{V1}/brands", catalog.create_brand, "Create a brand", "brands", ADMIN,
      body=BrandIn, response=BrandOut, status=201),
    R("GET", f"{V1}/brands", catalog.list_brands, "List brands", "brands", AGENT,
      query=PageQuery, response=Page[BrandOut]),
    R("POST", f"{V1}/teams", catalog.create_team, "Create a team", "teams", ADMIN,
      body=TeamIn, response=TeamOut, status=201),
    R("GET", f"{V1}/teams", catalog.list_teams, "List teams", "teams", AGENT,
      response=Page[TeamOut]),
    R("POST", f"{V1}/queues", catalog.create_queue, "Create a queue", "queues", ADMIN,
      body=QueueIn, response=QueueOut, status=201),
    R("GET", f"{V1}/queues", catalog.list_queues, "List queues", "queues", AGENT,
      query=QueueListQuery, response=Page[QueueOut]),
    R("GET", f"{V1}/queues/{{queue_id}}", catalog.get_queue, "Get a queue", "queues", AGENT,
      response=QueueOut),
    R("PATCH", f"{V1}/queues/{{queue_id}}", catalog.update_queue,
      "Change a queue's routing settings (its waiting tickets are re-routed)", "queues", ADMIN,
      body=QueuePatch, response=QueueOut),
    R("POST", f"{V1}/channel-accounts", catalog.create_account,
      "Connect a channel account (credentials are write-only)", "channel-accounts", ADMIN,
      body=ChannelAccountIn, response=ChannelAccountOut, status=201),
    R("GET", f"{V1}/channel-accounts", catalog.list_accounts, "List channel accounts",
      "channel-accounts", SUPERVISOR, query=AccountListQuery, response=Page[ChannelAccountOut]),
    R("GET", f"{V1}/channel-accounts/{{account_id}}", catalog.get_account,
      "Get a channel account", "channel-accounts", SUPERVISOR, response=ChannelAccountOut),
    R("POST", f"{V1}/users", users.create_user, "Create a user (returns its API token once)",
      "users", ADMIN, body=UserIn, response=UserCreated, status=201),
    R("GET", f"{V1}/users", users.list_users, "List users", "users", SUPERVISOR,
      query=PageQuery, response=Page[UserOut]),
    R("GET", f"{V1}/users/{{user_id}}", users.get_user, "Get a user", "users", SUPERVISOR,
      response=UserOut),
    R("PATCH", f"{V1}/users/{{user_id}}", users.update_user,
      "Change a user: identity, skills, languages, capacity, queues", "users", ADMIN,
      body=UserPatch, response=UserOut),
    R("GET", f"{V1}/users/{{user_id}}/shifts", routing.get_shifts,
      "An agent's shift plan and the next 14 days of shifts", "shifts", AGENT, response=ShiftsOut),
    R("PUT", f"{V1}/users/{{user_id}}/shifts", routing.put_shifts,
      "Replace an agent's shift plan (materialised at once)", "shifts", SUPERVISOR,
      body=ShiftsIn, response=ShiftsOut),
    # tickets
    R("GET", f"{V1}/tickets", tickets.list_tickets, "List tickets, newest first", "tickets", AGENT,
      query=TicketListQuery, response=Page[TicketOut]),
    R("GET", f"{V1}/tickets/{{ticket_id}}", tickets.get_ticket, "Get a ticket", "tickets", AGENT,
      response=TicketOut),
    R("PATCH", f"{V1}/tickets/{{ticket_id}}", tickets.update_ticket,
      "Change status, priority, tags (agents); queue, assignee (supervisors)", "tickets", AGENT,
      body=TicketPatch, response=TicketOut),
    R("GET", f"{V1}/tickets/{{ticket_id}}/messages", tickets.list_messages,
      "A ticket's messages in conversation order", "tickets", AGENT,
      query=PageQuery, response=Page[MessageOut]),
    R("POST", f"{V1}/tickets/{{ticket_id}}/messages", posts.post_message,
      "Reply to the customer (queued for delivery; meets the response SLA); files as multipart",
      "tickets", AGENT, body=PostIn, response=MessageOut, status=202, files=True),
    R("POST", f"{V1}/tickets/{{ticket_id}}/notes", posts.post_note,
      "Add an internal note (never sent); files as multipart", "tickets", AGENT, body=PostIn,
      response=MessageOut, status=201, files=True),
    R("POST", f"{V1}/tickets/{{ticket_id}}/assign", tickets.assign,
      "Assign or reassign (capacity respected unless override)", "routing", SUPERVISOR,
      body=AssignIn, response=TicketOut),
    R("POST", f"{V1}/tickets/{{ticket_id}}/transfer", tickets.transfer,
      "Transfer to another queue (waits there, keeps its age)", "routing", SUPERVISOR,
      body=TransferIn, response=TicketOut),
    R("POST", f"{V1}/tickets/{{ticket_id}}/requeue", tickets.requeue,
      "Unassign and put back to waiting in its queue", "routing", SUPERVISOR, response=TicketOut),
    # routing: presence, offers, agents
    R("GET", f"{V1}/me/presence", routing.get_presence, "Your presence, load and shift",
      "routing", AGENT, response=PresenceOut),
    R("PUT", f"{V1}/me/presence", routing.put_presence,
      "Set available, away or offline (busy is derived from capacity)", "routing", AGENT,
      body=PresenceIn, response=PresenceOut),
    R("POST", f"{V1}/me/heartbeat", routing.heartbeat,
      "Keep your presence: send every ~20 s; 60 s of silence sets you offline", "routing", AGENT),
    R("GET", f"{V1}/me/offers", routing.my_offers, "Your pending offers", "routing", AGENT,
      response=Page[OfferOut]),
    R("POST", f"{V1}/offers/{{offer_id}}/accept", routing.accept, "Accept an offer", "routing",
      AGENT),
    R("POST", f"{V1}/offers/{{offer_id}}/decline", routing.decline,
      "Decline an offer (re-routed at once, never back to you)", "routing", AGENT),
    R("GET", f"{V1}/media/{{media_id}}", media.get_media,
      "An attachment of a ticket you may open (fetched from the platform by the worker)",
      "tickets", AGENT, content_type="application/octet-stream"),
    # contacts
    R("GET", f"{V1}/contacts/{{contact_id}}", contacts.get_contact,
      "A contact: identities on every platform, merges, tickets across channels", "contacts",
      AGENT),
    R("GET", f"{V1}/contacts/{{contact_id}}/messages", contacts.timeline,
      "The contact's latest messages on every channel, in order (tickets you may open)",
      "contacts", AGENT, query=contacts.TimelineQuery),
    R("POST", f"{V1}/contacts/{{contact_id}}/merge", contacts.merge,
      "Merge another contact into this one (identities and tickets move)", "contacts",
      SUPERVISOR, body=contacts.MergeIn, status=200),
    R("POST", f"{V1}/contacts/{{contact_id}}/split", contacts.split,
      "Split one identity (and its conversations) off into a new contact", "contacts",
      SUPERVISOR, body=contacts.SplitIn, status=201),
    # SLA and newsfeed
    R("POST", f"{V1}/sla-policies", sla.create_policy, "Create an SLA policy", "sla", ADMIN,
      body=SlaPolicyIn, response=SlaPolicyOut, status=201),
    R("GET", f"{V1}/sla-policies", sla.list_policies, "List SLA policies", "sla", SUPERVISOR,
      query=SlaPolicyListQuery, response=Page[SlaPolicyOut]),
    R("GET", f"{V1}/sla-policies/{{policy_id}}", sla.get_policy, "Get an SLA policy", "sla",
      SUPERVISOR, response=SlaPolicyOut),
    R("PATCH", f"{V1}/sla-policies/{{policy_id}}", sla.update_policy,
      "Change an SLA policy (open tickets' clocks are recomputed)", "sla", ADMIN,
      body=SlaPolicyPatch, response=SlaPolicyOut),
    R("GET", f"{V1}/metrics/queues", metrics.queue_metrics,
      "Per queue (or channel, brand): waiting, longest wait, service level, ASA, abandons, AHT",
      "metrics", SUPERVISOR, query=metrics.QueueMetricsQuery),
    R("GET", f"{V1}/metrics/sla", metrics.sla_metrics,
      "SLA attainment per target for a period; running, at risk and paused now", "metrics",
      SUPERVISOR, query=metrics.SlaMetricsQuery),
    R("GET", f"{V1}/metrics/agents", metrics.agent_metrics,
      "Agents by state; load, free slots, offers, AHT and occupancy per agent", "metrics",
      SUPERVISOR, query=metrics.MetricsQuery),
    R("GET", f"{V1}/metrics/coverage", metrics.coverage,
      "Coverage: agents needed (Erlang C) vs scheduled per interval, default next 14 days",
      "metrics", SUPERVISOR, query=metrics.CoverageQuery),
    R("GET", f"{V1}/reports/tickets.csv", reports.tickets_csv,
      "CSV: tickets created in a period with their SLA outcomes (streamed)", "reports",
      SUPERVISOR, query=reports.ReportQuery, content_type="text/csv"),
    R("GET", f"{V1}/feed", sla.feed, "Newsfeed: ticket and SLA events, newest first", "feed",
      AGENT, query=sla.FeedQuery, response=Page[sla.FeedItem]),
    R("GET", f"{V1}/me/tickets", workspace.my_tickets,
      "Your open tickets, the most urgent SLA deadline first", "dashboard", AGENT,
      query=workspace.ListQuery, response=Page[TicketOut]),
    R("PATCH", f"{V1}/me", workspace.patch_me, "Your settings (the UI language)", "dashboard",
      AGENT, body=workspace.MePatch),
    R("GET", f"{V1}/queues/{{queue_id}}/waiting", workspace.waiting,
      "A queue's waiting tickets, longest waiting first", "dashboard", AGENT,
      query=workspace.ListQuery, response=Page[TicketOut]),
    R("POST", f"{V1}/channel-accounts/{{account_id}}/check", workspace.check_account,
      "Connection check: credentials, the platform's answer, the last message received",
      "dashboard", ADMIN),
    R("GET", f"{V1}/events", events.stream,
      "Live events for the dashboards (Server-Sent Events; agents get their own)", "dashboard",
      AGENT, content_type="text/event-stream"),
    R("GET", f"{V1}/agents", routing.list_agents, "Agents with presence, shift, load and capacity",
      "routing", SUPERVISOR, response=Page[AgentOut]),
)
# fmt: on


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
        if route.head:
            app.router.add_get(route.path, _guarded(route), allow_head=True)
        else:
            app.router.add_route(route.method, route.path, _guarded(route))
    for method, path, page in PAGES:
        app.router.add_route(method, path, page)


# The dashboards' pages: HTML and files, not API (so not in the OpenAPI document).
PAGES: tuple[tuple[str, str, Handler], ...] = (
    ("GET", "/", pages.root),
    ("GET", "/login", session.login_page),
    ("POST", "/login", session.login),
    ("POST", "/logout", session.logout),
    ("GET", "/app", pages.app_page),
    ("GET", "/app/static/{name}", pages.static_file),
    ("GET", "/app/i18n/{lang}.json", pages.words),
)
