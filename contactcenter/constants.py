"""Numbers and names shared across processes, each with the reason it has its value."""

from __future__ import annotations

# Redis pub/sub channel for live events of one brand. Web processes subscribe and fan out over
# SSE; one channel per brand lets a process serving one brand's board ignore the rest.
EVENTS_CHANNEL = "cc:events:{brand_id}"

# Routing requests for one queue are deduplicated by a "pending" key holding the id of the
# queued route job (route:{queue_id}:{generation}): a request sets it (NX) and enqueues the job,
# or finds it set and does nothing, since that job has not taken its snapshot yet. The job
# deletes the key before it reads anything, so a request during a running pass queues the next
# one: no request is lost (a fixed job id would be refused while its job runs). The TTL bounds
# the damage if a process dies between setting the key and enqueueing.
ROUTE_PENDING_KEY = "cc:route:pending:{queue_id}"
ROUTE_PENDING_TTL_S = 10
ROUTE_JOB_ID = "route:{queue_id}:{generation}"

# A web process asks for routing of one queue at most this often during a burst (and once more
# after it), so 500 new tickets cost a few Redis round trips, not 500; a trigger waits at most
# this long, well inside the 250 ms webhook-to-offer budget.
ROUTE_COALESCE_S = 0.025

# The arq queue every worker listens on.
ARQ_QUEUE = "cc:queue"

# How long `/readyz` waits for PostgreSQL or Redis before calling it not ready: load balancers
# poll every few seconds and must not pile up hanging checks.
READY_TIMEOUT_S = 1.0

# How long a request waits for a PostgreSQL connection before answering 503. Platforms retry a
# 503 (WhatsApp for up to 7 days), so failing fast beats holding the connection open.
DB_ACQUIRE_TIMEOUT_S = 2.0

# Connect timeout for PostgreSQL: a refused or black-holed database must turn into a 503 well
# inside the shortest platform timeout (LINE: 2 s).
DB_CONNECT_TIMEOUT_S = 1.5

# Channel accounts kept in a web process's cache at most; bounded so random account ids in
# webhook URLs cannot grow memory.
ACCOUNT_CACHE_MAX = 10_000

# API tokens: 32 random bytes, URL-safe; stored as SHA-256. A token with 256 bits of entropy
# needs no slow hash (argon2 is for passwords people choose).
TOKEN_BYTES = 32
TOKEN_PREFIX = "cc_"  # noqa: S105 - a prefix that makes leaked tokens greppable, not a secret

# Telegram's secret_token is 1-256 characters of A-Z a-z 0-9 _ -.
TELEGRAM_SECRET_MAX = 256

# Largest page a list endpoint returns.
MAX_PAGE = 200
DEFAULT_PAGE = 50

# Routing.
# Waiting tickets one routing pass loads per queue (oldest first); the plan orders them by
# priority. A queue with more waiting is routed again at once by the same job.
ROUTE_BATCH = 2000

# Passes one route_queue job makes before it lets other jobs run: a pass that lost races to
# another router (offers refused under lock) is retried with a fresh snapshot.
ROUTE_PASSES = 5

# Shifts are materialised this far ahead; the sweep extends plans whose horizon is closer
# than SHIFT_ROLL_S.
SHIFT_HORIZON_DAYS = 21
SHIFT_ROLL_S = 14 * 24 * 3600

# Heartbeats live in Redis under this key with a TTL of CC_HEARTBEAT_TTL_S (default 60 s); the
# sweep sets agents whose key expired offline.
HEARTBEAT_KEY = "cc:hb:{user_id}"

# The sweep runs every SWEEP_EVERY_S seconds: overdue offers, lost heartbeats, shift ends,
# and a routing pass for every queue with waiting tickets, so a lost trigger costs seconds.
SWEEP_EVERY_S = 5

# Presence and other events not owned by one brand.
AGENT_EVENTS_CHANNEL = "cc:events:agents"

# Offers expire through one deferred job per EXPIRY_BUCKET_S of deadlines (job id by bucket):
# at most this much after their deadline, and one Redis round trip per routing pass.
EXPIRY_BUCKET_S = 0.25
EXPIRE_JOB_ID = "expire:{bucket}"

# SLA. Warnings and breaches fire through one deferred job per SLA_BUCKET_S of due instants
# (job id by bucket): tickets created together share their deadlines' bucket, so a burst costs
# a few jobs. The sweep fires anything overdue as the safety net.
SLA_BUCKET_S = 0.25
SLA_FIRE_JOB_ID = "sla-fire:{bucket}"
# Recompute requests (sla_work rows from ingest) are coalesced like routing requests.
SLA_PENDING_KEY = "cc:sla:pending"
SLA_PENDING_TTL_S = 10
SLA_DRAIN_JOB_ID = "sla-drain:{generation}"

# One deliver job per message and attempt: enqueuing the same attempt twice is a no-op.
DELIVER_JOB_ID = "deliver:{message_id}:{attempt}"

# Web chat: replies reach the visitor's open widgets through this pub/sub channel (their SSE).
WEBCHAT_CHANNEL = "cc:webchat:{account_id}:{visitor_id}"
