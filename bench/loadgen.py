"""Load for bench/ingest.py: pre-signed WhatsApp webhooks and what a load phase observed.

The Python generator that sends them is rawhttp.py; wrk (wrkload.py) drives saturation.
"""

from __future__ import annotations

import math
import random
import resource
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from contactcenter.simulate import TEXTS, whatsapp_payload, whatsapp_signature

REQUEST_TIMEOUT_S = 10.0
LATE_MS = 5.0


@dataclass(frozen=True, slots=True)
class Webhook:
    """One pre-generated, signed webhook carrying one message."""

    wamid: str
    body: bytes
    signature: str


@dataclass(slots=True)
class PhaseResult:
    """What one load phase observed; `acked` holds the wamids of all 200 responses."""

    sent: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    acked: list[str] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    late: int = 0
    elapsed_s: float = 0.0
    dispatch_s: float = 0.0
    gen_cpu_s: float = 0.0
    exhausted: bool = False
    connections_opened: int = 0  # requests that found no idle connection and opened one
    queued: int = 0  # requests that waited client-side: no idle connection, cap reached

    def count(self, status: str) -> None:
        """Count one response status (or client error name)."""
        self.statuses[status] = self.statuses.get(status, 0) + 1

    @property
    def ok(self) -> int:
        """Requests answered 200."""
        return self.statuses.get("200", 0)

    @property
    def failed(self) -> int:
        """Requests answered with anything but 200, or not answered at all."""
        return self.sent - self.ok


def make_webhooks(
    first: int, count: int, *, run: str, senders: int, phone_number_id: str, app_secret: str
) -> list[Webhook]:
    """Sign `count` single-message webhooks with unique wamids from varied senders."""
    rng = random.Random(f"{run}:{first}")
    now = int(time.time())
    out: list[Webhook] = []
    for n in range(first, first + count):
        wamid = f"wamid.bench.{run}.{n:08d}"
        sender = f"49151{rng.randrange(senders):07d}"
        text = rng.choice(TEXTS).format(n=10_000 + n)
        body = whatsapp_payload(phone_number_id, [(wamid, sender, text, now)])
        out.append(Webhook(wamid, body, whatsapp_signature(app_secret, body)))
    return out


def cpu_seconds() -> float:
    """User + system CPU time this (generator) process has used so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile of `values` (0 when empty)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = min(len(ordered), max(1, math.ceil(pct / 100 * len(ordered))))
    return ordered[rank - 1]
