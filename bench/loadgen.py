"""Load generator for bench/ingest.py: pre-signed WhatsApp webhooks, closed and open loop."""

from __future__ import annotations

import asyncio
import itertools
import math
import random
import resource
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import aiohttp

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


def session(connections: int) -> aiohttp.ClientSession:
    """A keep-alive client session holding at most `connections` connections."""
    connector = aiohttp.TCPConnector(limit=connections, keepalive_timeout=60)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
    return aiohttp.ClientSession(connector=connector, timeout=timeout)


def cpu_seconds() -> float:
    """User + system CPU time this (generator) process has used so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def post(
    http: aiohttp.ClientSession, url: str, hook: Webhook, result: PhaseResult, since: float
) -> None:
    """Send one webhook; record its status and its latency measured from `since`."""
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": hook.signature}
    result.sent += 1
    try:
        async with http.post(url, data=hook.body, headers=headers) as resp:
            await resp.read()
            status = str(resp.status)
    except (aiohttp.ClientError, TimeoutError) as exc:
        status = type(exc).__name__
    result.latencies_ms.append((time.perf_counter() - since) * 1000)
    result.count(status)
    if status == "200":
        result.acked.append(hook.wamid)


async def saturate(
    http: aiohttp.ClientSession,
    url: str,
    hooks: Sequence[Webhook],
    concurrency: int,
    duration_s: float,
    *,
    cycle: bool = False,
) -> PhaseResult:
    """Closed loop: `concurrency` senders, each posting its next webhook as soon as one returns."""
    result = PhaseResult()
    cursor = itertools.count() if cycle else iter(range(len(hooks)))
    cpu0, start = cpu_seconds(), time.perf_counter()
    deadline = start + duration_s

    async def sender() -> None:
        while time.perf_counter() < deadline:
            index = next(cursor, None)
            if index is None:
                result.exhausted = True
                return
            await post(http, url, hooks[index % len(hooks)], result, time.perf_counter())

    await asyncio.gather(*(sender() for _ in range(concurrency)))
    result.elapsed_s = time.perf_counter() - start
    result.gen_cpu_s = cpu_seconds() - cpu0
    return result


async def fixed_rate(
    http: aiohttp.ClientSession, url: str, hooks: Sequence[Webhook], rate: float, duration_s: float
) -> PhaseResult:
    """Open loop: send webhook i at start + i/rate whatever the responses; latency from then."""
    result = PhaseResult()
    total = min(len(hooks), int(rate * duration_s))
    result.exhausted = total < int(rate * duration_s)
    tasks: list[asyncio.Task[None]] = []
    cpu0, start = cpu_seconds(), time.perf_counter() + 0.01

    async def send(hook: Webhook, due: float) -> None:
        if (time.perf_counter() - due) * 1000 > LATE_MS:
            result.late += 1
        await post(http, url, hook, result, due)

    for i in range(total):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send(hooks[i], due)))
    result.dispatch_s = time.perf_counter() - start
    await asyncio.gather(*tasks)
    result.elapsed_s = time.perf_counter() - start
    result.gen_cpu_s = cpu_seconds() - cpu0
    return result


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile of `values` (0 when empty)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = min(len(ordered), max(1, math.ceil(pct / 100 * len(ordered))))
    return ordered[rank - 1]
