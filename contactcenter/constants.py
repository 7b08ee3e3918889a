"""Numbers and names shared across processes, each with the reason it has its value."""

from __future__ import annotations

# Redis pub/sub channel for live events of one brand. Web processes subscribe and fan out over
# SSE; one channel per brand lets a process serving one brand's board ignore the rest.
EVENTS_CHANNEL = "cc:events:{brand_id}"

# arq job id of the routing entry point for one queue. A burst of 500 new tickets in one queue
# becomes one queued job: arq refuses a second job with an id that is already queued.
ROUTE_JOB_ID = "route:{queue_id}"

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
